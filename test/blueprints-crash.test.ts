// kill -9 of the whole of Shipyard (server, runner, PostgreSQL) while a blueprint is building, in its implement
// phase: the next start resumes the build, which lands one commit with the spec, tells each phase once, and
// leaves the blueprint built (not stuck `building`).
import { execFileSync } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SOCIAL_WORLD, scenarioModel } from "../src/blueprints/demo.ts";
import { crashableUp, type CrashableUp } from "./helpers/process.ts";
import { waitFor } from "./helpers/shipyard.ts";

const ENV = { SHIPYARD_PREVIEW_PORT: "0", SHIPYARD_ALLOW_PRIVATE_URLS: "true", SHIPYARD_ALLOWED_HTTP_HOSTS: "127.0.0.1" };

let shipyard: CrashableUp;
const api: CrashableUp["api"] = (method, route, body) => shipyard.api(method, route, body);
const events = (id: string) => shipyard.events(id);
const git = (repo: string, ...args: string[]) => execFileSync("git", ["-C", repo, ...args], { encoding: "utf8" }).trim();

beforeAll(async () => {
  shipyard = await crashableUp("shipyard-blueprint-crash-", ENV);
});
afterAll(async () => {
  await shipyard?.cleanup();
});

describe("a blueprint build survives kill -9", { timeout: 400_000 }, () => {
  it("mid-implement: the next start resumes it to one commit with the spec, and the blueprint ends built", async () => {
    const project = await api("POST", "/projects", { name: "aeries-crash", template: SOCIAL_WORLD.template, defaultModel: scenarioModel(SOCIAL_WORLD) });
    expect(project.status, JSON.stringify(project.body)).toBe(201);
    await waitFor(async () => (await api("GET", `/projects/${project.body.id}/previews`)).body.environments.staging.version === 1, 90_000, "the first deploy");
    const base = git(project.body.repo, "rev-parse", "main");
    const bp = (await api("POST", `/projects/${project.body.id}/blueprints`, { featureName: SOCIAL_WORLD.featureName })).body;
    for (const turn of SOCIAL_WORLD.turns) expect((await api("POST", `/blueprints/${bp.id}/chat`, { message: turn.message })).status).toBe(200);
    const started = await api("POST", `/blueprints/${bp.id}/build`);
    expect(started.status, JSON.stringify(started.body)).toBe(202);
    const buildId: string = started.body.buildId;

    await waitFor(async () => (await events(buildId)).some((e) => e.type === "task_started" && e.payload.index === 1), 90_000, "the implement phase");
    await shipyard.kill();
    await shipyard.start();
    expect((await api("GET", `/blueprints/${bp.id}`)).body.status).toBe("building");

    const build = await waitFor(async () => {
      const b = (await api("GET", `/builds/${buildId}`)).body;
      return ["succeeded", "failed", "cancelled"].includes(b.status) ? b : null;
    }, 150_000, "the resumed build");
    expect(build.status, build.error).toBe("succeeded");
    expect(git(project.body.repo, "rev-list", "--count", `${base}..main`)).toBe("1");
    expect(git(project.body.repo, "show", "main:docs/specs/social-world.md")).toContain("# Feature: Social World");
    const all = await events(buildId);
    expect(all.map((e) => e.seq)).toEqual(all.map((_, i) => i + 1));
    const once = (phase: string, status: string) => all.filter((e) => e.type === "phase" && e.payload.phase === phase && e.payload.status === status).length;
    for (const phase of ["spec", "design", "deploy"]) expect([once(phase, "in_progress"), once(phase, "complete")], phase).toEqual([1, 1]);
    expect(all.filter((e) => e.type === "complete")).toHaveLength(1);
    expect((await api("GET", `/blueprints/${bp.id}`)).body).toMatchObject({ status: "built", builtCommit: build.commit });
  });
});
