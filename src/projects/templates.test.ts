import { execFileSync } from "node:child_process";
import { cpSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { loadCatalogue, MANIFEST_FILE, TemplateManifest, TEMPLATES_DIR, templateBuildScript, templatePrepareScript } from "./templates.ts";

const catalogue = loadCatalogue();
const manifest = (name: string) => catalogue.get(name)!.manifest;
const bash = (cwd: string, script: string, env: Record<string, string> = {}) =>
  execFileSync("bash", ["-eo", "pipefail", "-c", script], { cwd, encoding: "utf8", env: { PATH: process.env.PATH, ...env } });

function checkout(name: string): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), `shipyard-template-${name}-`));
  cpSync(path.join(TEMPLATES_DIR, name), dir, { recursive: true });
  return dir;
}

describe("the template catalogue", () => {
  it("every manifest parses and is named after its directory; static, react-vite and world are there", () => {
    expect(catalogue.names()).toEqual(expect.arrayContaining(["react-vite", "static", "world"]));
    for (const name of catalogue.names()) {
      const raw = JSON.parse(readFileSync(path.join(TEMPLATES_DIR, name, MANIFEST_FILE), "utf8"));
      expect(TemplateManifest.parse(raw).name).toBe(name);
    }
    expect(manifest("react-vite").packages).toBe("shipyard");
  });

  it("refuses an output outside the checkout or the checkout itself, and unknown fields", () => {
    const base = { name: "x", title: "X", description: "x", build: "true", verify: ["true"] };
    for (const output of ["..", "../up", "/abs", ".", "a/../..", "dist/"]) expect(TemplateManifest.safeParse({ ...base, output }).success, output).toBe(false);
    expect(TemplateManifest.safeParse({ ...base, output: "dist", install: "npm i" }).success).toBe(false);
    expect(TemplateManifest.safeParse({ ...base, output: "public/site" }).success).toBe(true);
  });
});

describe("Shipyard's own packages", () => {
  it("hold every package a template that uses them names, at the same version, as production dependencies", () => {
    const own = JSON.parse(readFileSync(path.join(TEMPLATES_DIR, "..", "package.json"), "utf8")) as { dependencies: Record<string, string> };
    for (const name of catalogue.names().filter((n) => manifest(n).packages === "shipyard")) {
      const pkg = JSON.parse(readFileSync(path.join(TEMPLATES_DIR, name, "package.json"), "utf8")) as Record<string, Record<string, string> | undefined>;
      const wanted = { ...pkg.dependencies, ...pkg.devDependencies };
      expect(Object.keys(wanted).length, name).toBeGreaterThan(0);
      for (const [dep, version] of Object.entries(wanted)) expect(own.dependencies[dep], `${name} needs ${dep}@${version}`).toBe(version);
    }
  });
});

describe("templateBuildScript", () => {
  it("builds the static template twice over: a stale output file does not survive, index.html is checked", () => {
    const dir = checkout("static");
    const script = templateBuildScript(manifest("static"));
    expect(bash(dir, script)).toContain("built dist/");
    writeFileSync(path.join(dir, "dist", "stale.html"), "old");
    bash(dir, script);
    expect(existsSync(path.join(dir, "dist", "index.html"))).toBe(true);
    expect(existsSync(path.join(dir, "dist", "stale.html"))).toBe(false);
  });

  it("fails when the build leaves no index.html", () => {
    const dir = checkout("static");
    const script = templateBuildScript({ ...manifest("static"), build: "mkdir -p dist && echo hi > dist/other.html" });
    expect(() => execFileSync("bash", ["-eo", "pipefail", "-c", script], { cwd: dir, stdio: "pipe" })).toThrow(/left no dist\/index.html/);
  });

  it("links Shipyard's node_modules for a template that uses its packages, again after a move, never over a real directory", () => {
    const dir = checkout("react-vite");
    const prepare = templatePrepareScript(manifest("react-vite"));
    const home = (n: string) => {
      const h = mkdtempSync(path.join(os.tmpdir(), `shipyard-home-${n}-`));
      mkdirSync(path.join(h, "node_modules"));
      return h;
    };
    const first = home("a");
    bash(dir, prepare, { SHIPYARD_HOME: first });
    bash(dir, prepare, { SHIPYARD_HOME: first });
    expect(readlinkSync(path.join(dir, "node_modules"))).toBe(path.join(first, "node_modules"));
    const moved = home("b");
    bash(dir, prepare, { SHIPYARD_HOME: moved });
    expect(readlinkSync(path.join(dir, "node_modules"))).toBe(path.join(moved, "node_modules"));

    const own = checkout("react-vite");
    mkdirSync(path.join(own, "node_modules"));
    bash(own, prepare, { SHIPYARD_HOME: moved });
    expect(lstatSync(path.join(own, "node_modules")).isSymbolicLink()).toBe(false);
    // A template without packages links nothing.
    expect(templatePrepareScript(manifest("static"))).not.toContain("node_modules");
  });
});
