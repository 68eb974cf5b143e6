import http from "node:http";
import { mkdtempSync } from "node:fs";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { postToServer } from "../../agents/server-call.ts";
import { createLogger } from "../../logger.ts";
import { startServerSocket, type ServerSocket } from "./server-socket.ts";

const seen: { method: string; url: string; auth: string; body: string }[] = [];
const server = http.createServer((req, res) => {
  let body = "";
  req.on("data", (c: Buffer) => (body += c.toString()));
  req.on("end", () => {
    seen.push({ method: req.method ?? "", url: req.url ?? "", auth: req.headers.authorization ?? "", body });
    res.writeHead(201, { "content-type": "application/json" }).end(JSON.stringify({ ok: true }));
  });
});
let socket: ServerSocket;

beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  socket = await startServerSocket(mkdtempSync(path.join(os.tmpdir(), "shipyard-sock-test-")), url, createLogger("silent"));
});
afterAll(async () => {
  await socket.close();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

describe("the sandbox's server socket", () => {
  it("forwards an agent's model call and usage report, token and body intact", async () => {
    const address = { url: "http://ignored", socket: path.join(socket.dir, "server.sock") };
    const answer = await postToServer(address, "/api/v1/model-calls", "syt_abc", { params: { prompt: [] } });
    expect(answer).toEqual({ status: 201, text: JSON.stringify({ ok: true }) });
    await postToServer(address, "/api/v1/agent-usage", "syt_abc", { model: "m" });
    expect(seen).toEqual([
      { method: "POST", url: "/api/v1/model-calls", auth: "Bearer syt_abc", body: JSON.stringify({ params: { prompt: [] } }) },
      { method: "POST", url: "/api/v1/agent-usage", auth: "Bearer syt_abc", body: JSON.stringify({ model: "m" }) },
    ]);
  });

  it("forwards an artifact upload with its query and a body that is not JSON", async () => {
    seen.length = 0;
    const body = Buffer.from([0x1f, 0x8b, 0, 1, 2, 255]);
    const status = await new Promise<number>((resolve, reject) => {
      const req = http.request(
        { socketPath: path.join(socket.dir, "server.sock"), path: "/api/v1/task-artifacts?name=site", method: "POST", headers: { authorization: "Bearer syt_abc", "content-type": "application/gzip" } },
        (res) => resolve(res.statusCode ?? 0),
      );
      req.on("error", reject);
      req.end(body);
    });
    expect(status).toBe(201);
    expect(seen).toEqual([{ method: "POST", url: "/api/v1/task-artifacts?name=site", auth: "Bearer syt_abc", body: body.toString() }]);
  });

  it("forwards nothing else", async () => {
    seen.length = 0;
    const address = { url: "http://ignored", socket: path.join(socket.dir, "server.sock") };
    for (const route of ["/api/v1/runs", "/api/v1/secrets", "/healthz", "/api/v1/model-calls/../runs"]) {
      const answer = await postToServer(address, route, "shp_token", {});
      expect(answer.status).toBe(403);
    }
    expect(seen).toEqual([]);
  });
});
