import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { promises as fs } from "node:fs";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { gzipSync } from "node:zlib";
import { serve, type ServerType } from "@hono/node-server";
import { create } from "tar";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pendingRun } from "../../test/helpers/core.ts";
import { startInMemoryApp, type InMemoryApp } from "../../test/helpers/in-memory-app.ts";
import { siteDir } from "../../test/helpers/previews.ts";
import { createLogger } from "../logger.ts";
import { startServerSocket, type ServerSocket } from "../runner/sandbox/server-socket.ts";
import { artifactPath, extractArtifact } from "./artifacts.ts";

const run = promisify(execFile);
const UPLOAD_CLI = path.join(import.meta.dirname, "upload-cli.mjs");
const MAX = 64 * 1024;

let t: InMemoryApp;
let server: ServerType;
let socket: ServerSocket;
beforeAll(async () => {
  t = await startInMemoryApp("artifacts", { maxArtifactBytes: MAX });
  server = await new Promise((resolve) => {
    const s = serve({ fetch: t.fetch, port: 0, hostname: "127.0.0.1" }, () => resolve(s));
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  socket = await startServerSocket(await fs.mkdtemp(path.join(os.tmpdir(), "shipyard-sock-")), url, createLogger("silent"));
});
afterAll(async () => {
  await socket?.close();
  await new Promise((resolve) => server?.close(resolve));
  await t?.close();
});

/** An assigned task (dispatch 1) of a new run; returns its id. */
async function assignedTask(): Promise<string> {
  const runId = await pendingRun(t.pool, t.workspaceId, "name: w\nsteps:\n  - id: build\n    run: echo\n");
  const id = `${runId}:build:1`;
  await t.pool.query(
    `insert into tasks (id, operation_id, step_id, attempt, workspace_id, workflow_id, spec, status, dispatch, assigned_at)
     values ($1, $2, 'build', 1, $3, $2, $4, 'assigned', 1, now())`,
    [id, runId, t.workspaceId, JSON.stringify({ command: "true", env: {}, serverAccess: true })],
  );
  return id;
}

const upload = (token: string | null, body: BodyInit, name = "site", headers: Record<string, string> = {}) =>
  t.request(`/api/v1/task-artifacts?name=${name}`, {
    method: "POST",
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), "content-type": "application/gzip", ...headers },
    body,
    duplex: "half",
  } as RequestInit);

const exists = (p: string) => fs.stat(p).then(() => true, () => false);

describe("artifact upload", () => {
  it("takes a build's output from upload-cli through the runner's server socket; a repeat replaces it", async () => {
    const taskId = await assignedTask();
    const env = { ...process.env, SHIPYARD_SERVER_SOCKET: path.join(socket.dir, "server.sock"), SHIPYARD_TASK_TOKEN: t.taskTokens.mint(taskId, 1) };
    const dir = await siteDir({ "index.html": "<h1>built</h1>", "assets/app.js": "go()" });
    const first = await run(process.execPath, [UPLOAD_CLI, dir, "site"], { env });
    expect(first.stdout).toMatch(/^uploaded site \(\d+ bytes\)\n$/);
    await fs.writeFile(path.join(dir, "index.html"), "<h1>rebuilt</h1>");
    await run(process.execPath, [UPLOAD_CLI, dir, "site"], { env });
    const stored = artifactPath(t.dataDir, taskId, "site");
    const out = await fs.mkdtemp(path.join(os.tmpdir(), "shipyard-out-"));
    await extractArtifact(stored, out);
    expect(await fs.readFile(path.join(out, "index.html"), "utf8")).toBe("<h1>rebuilt</h1>");
    expect(await fs.readFile(path.join(out, "assets/app.js"), "utf8")).toBe("go()");
    expect(await fs.readdir(path.dirname(stored))).toEqual(["site.tar.gz"]);
  });

  it("upload-cli reports a refused upload (too large) and exits non-zero", async () => {
    const taskId = await assignedTask();
    const env = { ...process.env, SHIPYARD_SERVER_SOCKET: path.join(socket.dir, "server.sock"), SHIPYARD_TASK_TOKEN: t.taskTokens.mint(taskId, 1) };
    const dir = await siteDir({ "noise.bin": randomBytes(MAX * 2).toString("base64") });
    const refused = await run(process.execPath, [UPLOAD_CLI, dir, "site"], { env }).then(() => null, (err: { code: number; stderr: string }) => err);
    expect(refused?.code).toBe(1);
    expect(refused?.stderr).toContain("the server answered 413");
    expect(await exists(artifactPath(t.dataDir, taskId, "site"))).toBe(false);
  });

  it("accepts a task token only while its task is assigned at that dispatch", async () => {
    const taskId = await assignedTask();
    const body = gzipSync(Buffer.from("x"));
    expect((await upload(null, body)).status).toBe(401);
    expect((await upload(t.token, body)).status).toBe(401);
    expect((await upload(t.taskTokens.mint(taskId, 2), body)).status).toBe(409);
    await t.pool.query("update tasks set status = 'done' where id = $1", [taskId]);
    const finished = await upload(t.taskTokens.mint(taskId, 1), body);
    expect([finished.status, ((await finished.json()) as { code: string }).code]).toEqual([409, "task_not_running"]);
    expect(await exists(path.join(t.dataDir, "artifacts", taskId))).toBe(false);
  });

  it("refuses a body over the limit (413), declared or streamed, and a body that is not gzip, storing nothing", async () => {
    const taskId = await assignedTask();
    const token = t.taskTokens.mint(taskId, 1);
    const big = Buffer.concat([Buffer.from([0x1f, 0x8b]), Buffer.alloc(MAX)]);
    const declared = await upload(token, big);
    expect([declared.status, ((await declared.json()) as { code: string }).code]).toEqual([413, "payload_too_large"]);
    const streamed = await upload(token, new ReadableStream({ start(c) { c.enqueue(big.subarray(0, 40_000)); c.enqueue(big.subarray(40_000)); c.close(); } }));
    expect(streamed.status).toBe(413);
    expect(streamed.headers.get("connection")).toBe("close");
    const notGzip = await upload(token, "just text");
    expect([notGzip.status, ((await notGzip.json()) as { code: string }).code]).toEqual([400, "invalid_artifact"]);
    expect((await upload(token, gzipSync(Buffer.from("x")), "../escape")).status).toBe(400);
    expect(await fs.readdir(path.join(t.dataDir, "artifacts", taskId)).catch(() => [])).toEqual([]);
  });
});

describe("extractArtifact", () => {
  /** A .tar.gz made from `entries` as given (paths kept as written). */
  async function archive(cwd: string, entries: string[]): Promise<string> {
    const file = path.join(await fs.mkdtemp(path.join(os.tmpdir(), "shipyard-tgz-")), "a.tar.gz");
    await create({ gzip: true, file, cwd, preservePaths: true }, entries);
    return file;
  }

  it("refuses an archive with a `..` entry, an absolute path or a link out, writing nothing", async () => {
    const root = await fs.mkdtemp(path.join(os.tmpdir(), "shipyard-x-"));
    await fs.mkdir(path.join(root, "src"));
    await fs.writeFile(path.join(root, "evil.txt"), "pwned");
    await fs.writeFile(path.join(root, "src", "ok.txt"), "ok");
    await fs.symlink("/etc", path.join(root, "src", "etc"));
    const cases: [string, string[], RegExp][] = [
      ["dotdot", ["ok.txt", "../evil.txt"], /\.\.\/evil\.txt: a path with \.\./],
      ["absolute", ["ok.txt", path.join(root, "evil.txt")], /an absolute path/],
      ["link out", ["ok.txt", "etc"], /a link out of the archive/],
    ];
    for (const [what, entries, problem] of cases) {
      const file = await archive(path.join(root, "src"), entries);
      const dest = path.join(root, `out-${what.replace(" ", "-")}`, "site");
      await expect(extractArtifact(file, dest), what).rejects.toMatchObject({ code: "invalid_artifact", message: expect.stringMatching(problem) });
      expect(await exists(dest), what).toBe(false);
      expect(await exists(path.join(root, `out-${what.replace(" ", "-")}`, "evil.txt")), what).toBe(false);
    }
  });

  it("keeps links that stay inside the archive", async () => {
    const src = await siteDir({ "index.html": "hi" });
    await fs.symlink("index.html", path.join(src, "home.html"));
    const file = await archive(src, ["index.html", "home.html"]);
    const dest = await fs.mkdtemp(path.join(os.tmpdir(), "shipyard-in-"));
    await extractArtifact(file, dest);
    expect(await fs.readlink(path.join(dest, "home.html"))).toBe("index.html");
  });
});
