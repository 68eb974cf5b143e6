// kill -9 of the whole of Shipyard (server, runner, PostgreSQL) while a blueprint is building, in its implement
// phase: the next start resumes the build, which lands one commit with the spec, tells each phase once, and
// leaves the blueprint built (not stuck `building`).
import { execFileSync } from "node:child_process";
import { promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SOCIAL_WORLD, scenarioModel } from "../src/blueprints/demo.ts";
import { killGroup, reservePorts, startUp, type UpProcess } from "./helpers/process.ts";
import { waitFor } from "./helpers/shipyard.ts";

const ENV = { SHIPYARD_PREVIEW_PORT: "0", SHIPYARD_ALLOW_PRIVATE_URLS: "true", SHIPYARD_ALLOWED_HTTP_HOSTS: "127.0.0.1" };

let dataDir: string;
let ports: Awaited<ReturnType<typeof reservePorts>>;
let up: UpProcess;
const procs: UpProcess[] = [];

async function api(method: string, route: string, body?: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(`${up.url}/api/v1${route}`, {
    method,
    headers: { authorization: `Bearer ${up.token}`, "content-type": "application/json", accept: "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: await res.json() };
}
const start = async () => {
  up = await startUp(dataDir, ports, ENV);
  procs.push(up);
};
const events = async (id: string): Promise<any[]> => (await api("GET", `/operations/${id}/events?limit=5000`)).body.events;
const git = (repo: string, ...args: string[]) => execFileSync("git", ["-C", repo, ...args], { encoding: "utf8" }).trim();

beforeAll(async () => {
  dataDir = await fs.mkdtemp(path.join(os.tmpdir(), "shipyard-blueprint-crash-"));
  ports = await reservePorts();
  await start();
});
afterAll(async () => {
  for (const p of procs) if (p.child.exitCode === null && p.child.signalCode === null) await killGroup(p).catch(() => undefined);
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
    await killGroup(up);
    await start();
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
