// The runner's end of SHIPYARD_SERVER_SOCKET (see ../../agents/server-call.ts): a Unix socket, bound read-only
// into every sandbox, that forwards an agent's model calls and usage reports, and a build's artifact uploads, to
// the server. It forwards those routes only, so a step without network reaches the task endpoints (which check
// the task token) and nothing else.
import { promises as fs } from "node:fs";
import http from "node:http";
import path from "node:path";
import { Readable } from "node:stream";
import type { Logger } from "../../logger.ts";

/** The only routes forwarded. */
const FORWARDED = new Set(["/api/v1/model-calls", "/api/v1/agent-usage", "/api/v1/task-artifacts"]);

/** A listening forwarder. */
export interface ServerSocket {
  /** The directory holding `server.sock` (what is bound into sandboxes). */
  dir: string;
  close(): Promise<void>;
}

/** Listen on `<dir>/server.sock` and forward to `serverUrl`; the socket is usable by the sandbox user. */
export async function startServerSocket(dir: string, serverUrl: string, log: Logger, owner?: { uid: number; gid: number }): Promise<ServerSocket> {
  await fs.mkdir(dir, { recursive: true, mode: 0o755 });
  await fs.chmod(dir, 0o755);
  const socketPath = path.join(dir, "server.sock");
  await fs.rm(socketPath, { force: true });
  const base = serverUrl.replace(/\/$/, "");
  const server = http.createServer((req, res) => {
    const url = req.url ?? "";
    const cut = url.indexOf("?");
    const route = cut < 0 ? url : url.slice(0, cut);
    const query = cut < 0 ? "" : url.slice(cut);
    if (req.method !== "POST" || !FORWARDED.has(route)) {
      res.writeHead(403, { "content-type": "application/problem+json" });
      res.end(JSON.stringify({ status: 403, code: "forbidden", detail: "this socket forwards agent model calls, usage reports and artifact uploads only" }));
      return;
    }
    const abort = new AbortController();
    res.on("close", () => abort.abort());
    // The body streams through as it is (an artifact is a .tar.gz, not JSON); so does its declared length.
    const length = req.headers["content-length"];
    void fetch(`${base}${route}${query}`, {
      method: "POST",
      headers: {
        authorization: req.headers.authorization ?? "",
        "content-type": req.headers["content-type"] ?? "application/json",
        ...(length ? { "content-length": length } : {}),
      },
      body: Readable.toWeb(req) as ReadableStream,
      duplex: "half",
      signal: abort.signal,
    } as RequestInit).then(
      async (upstream) => {
        res.writeHead(upstream.status, { "content-type": upstream.headers.get("content-type") ?? "application/json" });
        res.end(Buffer.from(await upstream.arrayBuffer()));
      },
      (err: Error) => {
        if (abort.signal.aborted) return;
        log.warn({ err: err.message, route }, "forwarding an agent's call to the server failed");
        res.writeHead(502, { "content-type": "application/problem+json" });
        res.end(JSON.stringify({ status: 502, code: "server_unreachable", detail: `the runner cannot reach the server at ${base}: ${err.message}` }));
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(socketPath, () => resolve());
  });
  await fs.chmod(socketPath, 0o666);
  if (owner) await fs.chown(socketPath, owner.uid, owner.gid).catch(() => undefined);
  return {
    dir,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
