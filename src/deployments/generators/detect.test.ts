// Detection on fixture repositories: a Dockerfile with EXPOSE, a package.json with a start script, a studio
// project made from a template of the catalogue; and what it finds feeds parseConfig.
import { promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { loadCatalogue, MANIFEST_FILE, TEMPLATES_DIR } from "../../projects/templates.ts";
import { detectApp, exposedPorts, startScriptPort } from "./detect.ts";
import { GENERATORS, parseConfig } from "./index.ts";

const made: string[] = [];
afterAll(() => Promise.all(made.map((d) => fs.rm(d, { recursive: true, force: true }))));

/** A repository checkout holding `files` (path → text). */
async function repo(name: string, files: Record<string, string>): Promise<string> {
  const root = await fs.mkdtemp(path.join(os.tmpdir(), "shipyard-detect-"));
  made.push(root);
  const dir = path.join(root, name);
  for (const [file, text] of Object.entries(files)) {
    await fs.mkdir(path.dirname(path.join(dir, file)), { recursive: true });
    await fs.writeFile(path.join(dir, file), text);
  }
  await fs.mkdir(dir, { recursive: true });
  return dir;
}

describe("detectApp", () => {
  it("a Dockerfile: build it, on the TCP ports it EXPOSEs", async () => {
    const dir = await repo("shop", {
      Dockerfile: "FROM node:20-slim\nEXPOSE 8080 9090/tcp\nEXPOSE 53/udp\nexpose $PORT\nEXPOSE \\\n  7000\nCMD [\"node\", \"server.js\"]\n",
      "package.json": JSON.stringify({ name: "@acme/My_Shop", scripts: { start: "node server.js" } }),
    });
    expect(await detectApp(dir)).toEqual({ name: "my-shop", build: { context: ".", dockerfile: "Dockerfile" }, ports: [8080, 9090, 7000], env: { NODE_ENV: "production" } });
  });

  it("a package.json with a start script: the port it names (else 3000), production mode; no image or build to guess", async () => {
    expect(await detectApp(await repo("api", { "package.json": JSON.stringify({ name: "api", scripts: { start: "next start -p 4000" } }) }))).toEqual({
      name: "api",
      ports: [4000],
      env: { NODE_ENV: "production" },
    });
    expect((await detectApp(await repo("web", { "package.json": JSON.stringify({ scripts: { start: "node index.js" } }) }))).ports).toEqual([3000]);
  });

  it("a studio project: the template's site answers HTTP at /", async () => {
    const catalogue = loadCatalogue();
    const template = catalogue.get("static")!;
    // The project's checkout holds the template's files, not its manifest.
    const dir = await repo("checkout", { "site/index.html": "<!doctype html><title>x</title>" });
    expect(await detectApp(dir, { template: template.manifest })).toEqual({ name: "static", ports: [80], healthCheck: { path: "/" } });
    // A template directory itself (templates/<t>/) carries its manifest.
    expect(await detectApp(path.join(TEMPLATES_DIR, "world"))).toEqual({ name: "world", ports: [80], healthCheck: { path: "/" } });
    expect(await fs.stat(path.join(TEMPLATES_DIR, "world", MANIFEST_FILE))).toBeTruthy();
  });

  it("skips what it cannot read, and names the app after the directory when nothing else names it", async () => {
    expect(await detectApp(await repo("Broken_Repo", { "package.json": "{ not json", [MANIFEST_FILE]: "[]" }))).toEqual({ name: "broken-repo" });
    expect(await detectApp(await repo("123", {}))).toEqual({});
  });

  it("a given name comes before the directory's (a clone named after one deployment), never before the package's", async () => {
    expect(await detectApp(await repo("dep_01abc", {}), { name: "My Shop" })).toEqual({ name: "my-shop" });
    expect(await detectApp(await repo("dep_01abc", { "package.json": JSON.stringify({ name: "@acme/store" }) }), { name: "My Shop" })).toMatchObject({ name: "store" });
  });

  it("feeds parseConfig: the user's image replaces the detected build, and the result renders valid files", async () => {
    const detected = await detectApp(await repo("shop", { Dockerfile: "FROM nginx:1.27\nEXPOSE 80\n" }));
    const config = parseConfig("helm", { image: "ghcr.io/acme/shop:2.0.0", ingress: { host: "shop.example.com" } }, detected);
    expect(config).toMatchObject({ name: "shop", image: "ghcr.io/acme/shop:2.0.0", ports: [80] });
    expect(config.build).toBeUndefined();
    expect(await GENERATORS.helm.validate(GENERATORS.helm.render(config), { toolPath: "/nonexistent" })).toEqual([]);
    // Detection alone is enough for a Compose file, which can build.
    const compose = GENERATORS["docker-compose"].render(parseConfig("docker-compose", {}, detected));
    expect(compose[0]!.content).toContain("build:\n      context: ../..\n      dockerfile: Dockerfile\n");
  });
});

describe("the readers detection uses", () => {
  it("exposedPorts reads every form Docker accepts and skips what it cannot know", () => {
    expect(exposedPorts("EXPOSE 80\nEXPOSE 443/tcp 8443/TCP\nEXPOSE 5353/udp\nEXPOSE ${PORT}\nEXPOSE 99999\nEXPOSE 80")).toEqual([80, 443, 8443]);
    expect(exposedPorts("# EXPOSE 1234\nRUN echo EXPOSE 22")).toEqual([]);
  });

  it("startScriptPort finds --port, -p and PORT=", () => {
    expect(startScriptPort("vite preview --port 5000")).toBe(5000);
    expect(startScriptPort("vite preview --port=5001")).toBe(5001);
    expect(startScriptPort("PORT=8081 node server.js")).toBe(8081);
    expect(startScriptPort("node server.js")).toBeUndefined();
  });
});
