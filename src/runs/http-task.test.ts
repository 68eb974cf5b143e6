// One attempt of an http step, called directly: against a local HTTP server (allowed the way the operator
// allows loopback: SHIPYARD_ALLOW_PRIVATE_URLS and SHIPYARD_ALLOWED_HTTP_HOSTS), refused under the default
// rules, and what a failed, oversized or unexpected answer makes of the step; outputs picked with JSONPath.
import http from "node:http";
import type { AddressInfo } from "node:net";
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createOutboundClient } from "../net/outbound-client.ts";
import { OwnApi } from "../server/own-api.ts";
import type { HttpTaskSpec } from "../tasks/spec.ts";
import type { ServerTaskOf } from "../tasks/store.ts";
import { StepApiTokens } from "../tokens/step-tokens.ts";
import { abortHttpTask, callHttpTask, extractOutputs, MAX_RESPONSE_BYTES } from "./http-task.ts";

interface Seen {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}
const seen: Seen[] = [];
let server: http.Server;
let base: string;

beforeAll(async () => {
  server = http.createServer((req, res) => {
    let body = "";
    req.on("data", (c: Buffer) => (body += c.toString()));
    req.on("end", () => {
      seen.push({ method: req.method ?? "", url: req.url ?? "", headers: req.headers, body });
      if (req.url === "/fail") {
        res.writeHead(409, { "content-type": "application/problem+json" });
        return res.end(JSON.stringify({ title: "Conflict", detail: "the blueprint is not ready", code: "not_ready" }));
      }
      if (req.url === "/hang") return; // never answers
      if (req.url === "/huge") {
        res.writeHead(200, { "content-type": "application/json" });
        return res.end("x".repeat(MAX_RESPONSE_BYTES + 10));
      }
      res.writeHead(201, { "content-type": "application/json" });
      res.end(JSON.stringify({ id: "bp_1", data: { name: "demo", sections: [{ status: "empty" }, { status: "complete" }] } }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

const allowing = createOutboundClient({ allowPrivate: true, allowedHttpHosts: ["127.0.0.1"], allowLocalRepos: false });
const defaults = createOutboundClient({ allowPrivate: false, allowedHttpHosts: ["127.0.0.1"], allowLocalRepos: false });

const task = (spec: Partial<HttpTaskSpec>): ServerTaskOf<"http"> => ({
  operation_id: "run_1",
  workspace_id: "ws_1",
  dispatch: 1,
  status: "assigned",
  spec: { kind: "http", method: "GET", url: `${base}/`, headers: {}, outputs: {}, apiRole: "viewer", ...spec },
});

describe("callHttpTask", () => {
  it("calls a URL the rules allow with its method, headers and JSON body, and picks outputs from nested JSON", async () => {
    seen.length = 0;
    const spec = { method: "POST", url: `${base}/blueprints`, headers: { "x-tree": "yes" }, body: JSON.stringify({ featureName: "Pricing" }), outputs: { id: "$.id", name: "$.data.name", done: "$.data.sections[?@.status == 'complete']" } };
    const result = await callHttpTask({ outbound: allowing }, "run_1:call:1", task(spec));
    expect(result).toMatchObject({ status: "succeeded", outputs: { status: "201", id: "bp_1", name: "demo", done: '{"status":"complete"}' } });
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({ method: "POST", url: "/blueprints", body: '{"featureName":"Pricing"}' });
    expect(seen[0]!.headers).toMatchObject({ "x-tree": "yes", "content-type": "application/json", "idempotency-key": "run_1:call:1:1" });
    // An outside URL never gets a token of Shipyard's.
    expect(seen[0]!.headers.authorization).toBeUndefined();
  });

  it("refuses a private address under the default rules without calling it", async () => {
    seen.length = 0;
    const result = await callHttpTask({ outbound: defaults }, "run_1:call:1", task({}));
    expect(result.status).toBe("failed");
    expect(result.error).toContain("127.0.0.1 is a loopback address");
    expect(seen).toHaveLength(0);
  });

  it("fails on a non-2xx answer with its status and the problem's detail", async () => {
    const result = await callHttpTask({ outbound: allowing }, "run_1:call:1", task({ url: `${base}/fail` }));
    expect(result).toMatchObject({ status: "failed", outputs: { status: "409" } });
    expect(result.error).toBe(`GET ${base}/fail answered 409: the blueprint is not ready (not_ready)`);
  });

  it("fails on an answer larger than the limit, and on an output whose JSONPath matches nothing", async () => {
    const huge = await callHttpTask({ outbound: allowing }, "run_1:call:1", task({ url: `${base}/huge` }));
    expect(huge).toMatchObject({ status: "failed", error: expect.stringContaining(`${MAX_RESPONSE_BYTES} bytes`) });
    const missing = await callHttpTask({ outbound: allowing }, "run_1:call:1", task({ outputs: { x: "$.nope" } }));
    expect(missing).toMatchObject({ status: "failed", error: expect.stringContaining("output x: $.nope matched nothing") });
  });

  it("calls a path of Shipyard's own API at its address with a step token of the run's workspace and role", async () => {
    seen.length = 0;
    const tokens = new StepApiTokens(randomBytes(32));
    const ownApi = new OwnApi(tokens);
    ownApi.serve(base);
    const result = await callHttpTask({ outbound: defaults, ownApi }, "run_1:call:1", task({ url: "/projects?limit=1", apiRole: "member", outputs: { id: "$.id" } }));
    expect(result).toMatchObject({ status: "succeeded", outputs: { id: "bp_1" } });
    expect(seen[0]!.url).toBe("/api/v1/projects?limit=1");
    const token = /^Bearer (\S+)$/.exec(seen[0]!.headers.authorization ?? "")?.[1] ?? "";
    expect(tokens.verify(token)).toEqual({ workspaceId: "ws_1", role: "member", taskId: "run_1:call:1" });
    expect(JSON.stringify(result)).not.toContain(token);
  });

  it("a cancel aborts the call in flight; a timeout ends it as timed out", async () => {
    seen.length = 0;
    const pending = callHttpTask({ outbound: allowing }, "run_1:slow:1", task({ url: `${base}/hang` }));
    while (seen.length === 0) await new Promise((r) => setTimeout(r, 10));
    expect(abortHttpTask("run_1:slow:1")).toBe(true);
    expect(await pending).toMatchObject({ status: "cancelled", error: "cancelled" });
    expect(abortHttpTask("run_1:slow:1")).toBe(false);
    const late = await callHttpTask({ outbound: allowing }, "run_1:slow:2", task({ url: `${base}/hang`, timeoutMs: 200 }));
    expect(late).toMatchObject({ status: "timed_out", error: "timed out after 200 ms" });
  });

  it("fails when this process serves no API (a worker)", async () => {
    const ownApi = new OwnApi(new StepApiTokens(randomBytes(32)));
    ownApi.refuse("a worker process serves no API");
    const result = await callHttpTask({ outbound: defaults, ownApi }, "run_1:call:1", task({ url: "/projects" }));
    expect(result).toMatchObject({ status: "failed", error: expect.stringContaining("a worker process serves no API") });
  });
});

describe("extractOutputs", () => {
  it("keeps strings as they are and JSON-encodes the rest; status and body are always there", () => {
    const text = JSON.stringify({ id: "a", n: 3, ok: true, list: [1, 2], obj: { k: null } });
    expect(extractOutputs(200, text, { id: "$.id", n: "$.n", ok: "$.ok", second: "$.list[1]", obj: "$.obj", all: "$.list[*]" })).toEqual({
      status: "200",
      body: text,
      id: "a",
      n: "3",
      ok: "true",
      second: "2",
      obj: '{"k":null}',
      all: "1",
    });
  });

  it("refuses to read outputs from an answer that is not JSON, but keeps its body without any", () => {
    expect(() => extractOutputs(200, "<html>", { id: "$.id" })).toThrow("the response is not JSON");
    expect(extractOutputs(200, "<html>", {})).toEqual({ status: "200", body: "<html>" });
  });
});
