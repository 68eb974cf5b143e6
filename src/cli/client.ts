import { promises as fs } from "node:fs";
import path from "node:path";
import type { StoredEvent } from "../events/catalogue.ts";
import { createParser } from "eventsource-parser";

/** An error the CLI prints as one line (no stack) before exiting with `exitCode`. */
export class CliError extends Error {
  override name = "CliError";
  constructor(
    message: string,
    readonly exitCode = 2,
  ) {
    super(message);
  }
}

/** An event as the API sends it. */
/** An event as the API serves it: the event catalogue's (src/events/catalogue.ts). */
export type ApiEvent = StoredEvent;

/** Where the server is: SHIPYARD_URL and SHIPYARD_TOKEN, else the local data dir's server.json and admin token. */
export async function findServer(env = process.env): Promise<{ url: string; token: string }> {
  const dataDir = path.resolve(env.SHIPYARD_DATA_DIR ?? ".shipyard");
  let url = env.SHIPYARD_URL;
  let token = env.SHIPYARD_TOKEN;
  if (!url) {
    const text = await fs.readFile(path.join(dataDir, "server.json"), "utf8").catch(() => null);
    url = text ? (JSON.parse(text) as { url: string }).url : undefined;
  }
  if (!token) token = (await fs.readFile(path.join(dataDir, "admin-token"), "utf8").catch(() => "")).trim() || undefined;
  if (!url || !token) {
    throw new CliError(
      `no Shipyard server found: start one with \`npm start\` (data dir ${dataDir}) or set SHIPYARD_URL and SHIPYARD_TOKEN`,
    );
  }
  return { url: url.replace(/\/$/, ""), token };
}

/**
 * One JSON request with node:http(s), not fetch: fetch's first request loads undici, its WebAssembly parser, TLS
 * and HTTP/2, some 100 ms of CPU and 40 MB that a one-shot command such as `shipyard runs` would spend on start-up
 * alone (bench/cli-startup.ts). Streams (`follow`) still use fetch.
 */
async function send(url: URL, method: string, token: string, body: unknown): Promise<{ status: number; statusText: string; text: string }> {
  const { request } = url.protocol === "https:" ? await import("node:https") : await import("node:http");
  const payload = body !== undefined ? JSON.stringify(body) : undefined;
  const headers = { authorization: `Bearer ${token}`, accept: "application/json", ...(payload !== undefined ? { "content-type": "application/json" } : {}) };
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("error", reject);
      res.on("end", () => resolve({ status: res.statusCode ?? 0, statusText: res.statusMessage ?? "", text: Buffer.concat(chunks).toString("utf8") }));
    });
    req.on("error", reject);
    req.end(payload);
  });
}

/** A thin typed client of /api/v1 that turns problem+json into CliErrors. */
export class ApiClient {
  constructor(
    readonly url: string,
    private readonly token: string,
  ) {}

  /** Call the API; throws CliError with the server's problem detail on a non-2xx answer. */
  async request<T>(method: string, route: string, body?: unknown): Promise<T> {
    let res: { status: number; statusText: string; text: string };
    try {
      res = await send(new URL(`${this.url}/api/v1${route}`), method, this.token, body);
    } catch (err) {
      throw new CliError(`cannot reach Shipyard at ${this.url}: ${(err as Error).message}. Is it running (\`npm start\`)?`);
    }
    const data: unknown = res.text ? JSON.parse(res.text) : null;
    if (res.status < 200 || res.status > 299) {
      const p = data as { detail?: string; code?: string; errors?: unknown } | null;
      const err = new CliError(`${p?.detail ?? res.statusText} (${p?.code ?? res.status})`);
      Object.assign(err, { problem: p });
      throw err;
    }
    return data as T;
  }

  /** POST raw bytes (an upload) with their content type; answers and fails like request. */
  async upload<T>(route: string, bytes: Uint8Array, contentType: string): Promise<T> {
    let res: Response;
    try {
      res = await fetch(`${this.url}/api/v1${route}`, { method: "POST", headers: { authorization: `Bearer ${this.token}`, accept: "application/json", "content-type": contentType }, body: new Uint8Array(bytes) });
    } catch (err) {
      throw new CliError(`cannot reach Shipyard at ${this.url}: ${(err as Error).message}. Is it running (\`npm start\`)?`);
    }
    const data = (await res.json().catch(() => null)) as { detail?: string; code?: string } | null;
    if (!res.ok) throw new CliError(`${data?.detail ?? res.statusText} (${data?.code ?? res.status})`);
    return data as T;
  }

  /**
   * Follow an operation's events over SSE from `since` until the `complete` event (or `signal` aborts). When
   * the server goes away (stopped, restarting, unreachable) it says so once through `notice` and keeps
   * trying; when the server is back it resumes with Last-Event-ID, so no event is lost or repeated.
   */
  async follow(
    operationId: string,
    since: number,
    onEvent: (e: ApiEvent) => void,
    signal?: AbortSignal,
    notice: (line: string) => void = (line) => void process.stderr.write(`${line}\n`),
  ): Promise<void> {
    let last = since;
    let done = false;
    let away = false;
    for (let failures = 0; !done && !signal?.aborted; ) {
      try {
        const res = await fetch(`${this.url}/api/v1/operations/${operationId}/events`, {
          headers: { authorization: `Bearer ${this.token}`, accept: "text/event-stream", "last-event-id": String(last) },
          signal,
        });
        if (!res.ok || !res.body) throw new CliError(`cannot follow ${operationId}: HTTP ${res.status}`);
        failures = 0;
        if (away) notice(`server is back; resuming after event ${last}`);
        away = false;
        const parser = createParser({
          onEvent: (msg) => {
            const e = JSON.parse(msg.data) as ApiEvent;
            if (e.seq <= last) return;
            last = e.seq;
            onEvent(e);
            if (e.type === "complete") done = true;
          },
        });
        const decoder = new TextDecoder();
        const reader = res.body.getReader();
        for (let r = await reader.read(); !r.done; r = await reader.read()) parser.feed(decoder.decode(r.value, { stream: true }));
        if (!done) {
          // The stream ended without `complete`: either it was already over, or the server went away.
          const op = await this.request<{ status: string }>("GET", `/operations/${operationId}`).catch(() => null);
          // Loaded here, not at start-up: the statuses are zod enums, and most commands never get this far.
          const { isFinalStatus } = await import("../domain/statuses.ts");
          if (op && isFinalStatus(op.status) && last > 0) done = true;
          else throw new Error("the event stream ended early");
        }
      } catch (err) {
        if (signal?.aborted) return;
        if (err instanceof CliError && !err.message.includes("HTTP 5")) throw err;
        failures += 1;
        if (!away) notice("server went away; waiting for it to come back…");
        away = true;
        await new Promise((r) => setTimeout(r, Math.min(250 * failures, 2000)));
      }
    }
  }
}
