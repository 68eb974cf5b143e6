import { existsSync, promises as fs } from "node:fs";
import { builtinModules, createRequire } from "node:module";
import path from "node:path";
import { Ajv } from "ajv";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { REPO } from "./helpers/cli.ts";

// Shipyard's own deployment files, checked offline (no docker engine here): the compose file against the
// vendored compose-spec JSON Schema, and the Dockerfile against the repository it builds from.

const read = (p: string) => fs.readFile(path.join(REPO, p), "utf8");
const schema = JSON.parse(await read("src/deployments/generators/schemas/compose-spec.json")) as object;
// The schema is third-party: strict mode would object to its style (union types, unknown formats), not to our file.
const ajv = new Ajv({ allErrors: true, strict: false });
// It names draft-07 by its https address, which Ajv knows only as http://json-schema.org/draft-07/schema#.
const draft07 = createRequire(import.meta.url)("ajv/dist/refs/json-schema-draft-07.json") as object;
ajv.addMetaSchema({ ...draft07, $id: "https://json-schema.org/draft-07/schema" });
const validate = ajv.compile(schema);
const composeText = await read("deploy/compose.yaml");
const compose = parse(composeText, { merge: true }) as { services: Record<string, Record<string, any>> };

describe("deploy/compose.yaml", () => {
  it("is valid against the compose-spec schema", () => {
    expect(validate(compose), JSON.stringify(validate.errors, null, 2)).toBe(true);
  });

  it("the schema is live: it rejects what compose would", () => {
    const typo = { ...compose, services: { ...compose.services, server: { ...compose.services.server, prots: ["7420:7420"] } } };
    expect(validate(typo)).toBe(false);
    const badDepends = { ...compose, services: { ...compose.services, runner: { ...compose.services.runner, depends_on: { server: { condition: "healthy" } } } } };
    expect(validate(badDepends)).toBe(false);
  });

  it("runs PostgreSQL, a server, workers with distinct executor ids and a runner kept off the database", () => {
    const s = compose.services;
    expect(Object.keys(s).sort()).toEqual(["postgres", "runner", "server", "worker-1", "worker-2"]);
    expect(s.server!.command).toEqual(["server"]);
    const workers = Object.entries(s).filter(([name]) => name.startsWith("worker"));
    for (const [, w] of workers) {
      expect(w.command).toEqual(["worker"]);
      expect(w.environment.DATABASE_URL).toMatch(/@postgres:5432\//);
    }
    const ids = workers.map(([, w]) => w.environment.SHIPYARD_EXECUTOR_ID as string);
    expect(new Set(ids).size).toBe(ids.length);
    expect(s.server!.environment.SHIPYARD_SECRET_KEY).toBe(workers[0]![1].environment.SHIPYARD_SECRET_KEY);
    const runner = s.runner!;
    expect(runner.command.slice(0, 3)).toEqual(["runner", "--server", "http://server:7420"]);
    expect(Object.keys(runner.environment)).toEqual(["SHIPYARD_TOKEN"]);
    expect(runner.security_opt).toEqual(["seccomp=unconfined", "apparmor=unconfined", "systempaths=unconfined"]);
    expect(runner.privileged).toBeUndefined();
    expect(runner.cap_add).toBeUndefined();
    // Every service built from this repository names a Dockerfile that is there.
    for (const svc of Object.values(s)) if (svc.build) expect(existsSync(path.resolve(REPO, "deploy", svc.build.context, svc.build.dockerfile))).toBe(true);
    // Until the split lands, the file says how to run it today.
  });
});

describe("Dockerfile", () => {
  it("is Node 20 on Debian with bubblewrap, and installs production dependencies only", async () => {
    const dockerfile = await read("Dockerfile");
    expect(dockerfile).toMatch(/^FROM node:20-bookworm-slim$/m);
    expect(dockerfile).toMatch(/apt-get install [^\n]*\bbubblewrap\b/);
    expect(dockerfile).toMatch(/npm ci --omit=dev/);
    expect(dockerfile).toMatch(/^USER node$/m);
  });

  it("copies only what exists and what .dockerignore lets into the build context", async () => {
    const dockerfile = await read("Dockerfile");
    const ignored = (await read(".dockerignore")).split("\n").filter((l) => l.trim() !== "" && !l.startsWith("#"));
    const sources = [...dockerfile.matchAll(/^COPY (.+) \S+$/gm)].flatMap((m) => m[1]!.split(/\s+/));
    expect(sources).toEqual(["package.json", "package-lock.json", "bin", "src", "cassettes", "examples", "templates"]);
    for (const src of sources) {
      expect(existsSync(path.join(REPO, src)), src).toBe(true);
      expect(ignored.filter((pattern) => pattern === src || src.startsWith(`${pattern}/`)), src).toEqual([]);
    }
  });

  it("every package the runtime imports is installed by `npm ci --omit=dev`", async () => {
    const pkg = JSON.parse(await read("package.json")) as { dependencies: Record<string, string> };
    // A dependency's own (optional) dependencies count: the lockfile marks what only development needs.
    const lock = JSON.parse(await read("package-lock.json")) as { packages: Record<string, { dev?: boolean }> };
    const production = (name: string) => lock.packages[`node_modules/${name}`] !== undefined && lock.packages[`node_modules/${name}`]!.dev !== true;
    const files = [path.join(REPO, "bin", "shipyard.js")];
    for (const entry of await fs.readdir(path.join(REPO, "src"), { recursive: true })) {
      if (/\.(ts|mjs|js)$/.test(entry) && !entry.endsWith(".test.ts")) files.push(path.join(REPO, "src", entry));
    }
    const builtins = new Set(builtinModules);
    const missing = new Set<string>();
    for (const file of files) {
      const text = await fs.readFile(file, "utf8");
      // Type-only imports vanish at run time.
      for (const m of text.matchAll(/^\s*(?:import|export)\s+(?!type\s)[^;]*?\sfrom\s+"([^"]+)"|import\("([^"]+)"\)/gm)) {
        const spec = m[1] ?? m[2]!;
        if (spec.startsWith(".") || spec.startsWith("node:") || builtins.has(spec)) continue;
        const name = spec.startsWith("@") ? spec.split("/").slice(0, 2).join("/") : spec.split("/")[0]!;
        if (!production(name)) missing.add(`${name} (${path.relative(REPO, file)})`);
      }
    }
    expect([...missing]).toEqual([]);
    // bin/shipyard.js loads the sources through tsx, so it must be a dependency, not a devDependency.
    expect(pkg.dependencies.tsx).toBeDefined();
  });
});
