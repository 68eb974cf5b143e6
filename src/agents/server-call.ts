// How an agent on a runner calls back into the Shipyard server (its model calls, its usage report). Inside the
// step sandbox there is no network: the runner binds a Unix socket into it (SHIPYARD_SERVER_SOCKET) that
// forwards these calls, and nothing else, to the server. Outside a sandbox the server's URL is used directly.
import http from "node:http";

/** Where the server is, as the agent's environment says. */
export interface ServerAddress {
  /** The server's base URL (SHIPYARD_SERVER_URL). */
  url: string;
  /** A Unix socket forwarding to the server (SHIPYARD_SERVER_SOCKET); preferred when set. */
  socket?: string;
}

/** The server's answer: status and body text. */
export interface ServerAnswer {
  status: number;
  text: string;
}

/** The address from an agent's environment, or null when it has none. */
export function serverAddressFrom(env: NodeJS.ProcessEnv): ServerAddress | null {
  if (!env.SHIPYARD_SERVER_URL && !env.SHIPYARD_SERVER_SOCKET) return null;
  return { url: env.SHIPYARD_SERVER_URL ?? "http://shipyard", ...(env.SHIPYARD_SERVER_SOCKET ? { socket: env.SHIPYARD_SERVER_SOCKET } : {}) };
}

/** POST `body` as JSON to `route` (e.g. /api/v1/model-calls) with the task token. */
export async function postToServer(to: ServerAddress, route: string, token: string, body: unknown, signal?: AbortSignal): Promise<ServerAnswer> {
  const headers = { authorization: `Bearer ${token}`, "content-type": "application/json" };
  const payload = JSON.stringify(body);
  if (!to.socket) {
    const res = await fetch(`${to.url.replace(/\/$/, "")}${route}`, { method: "POST", headers, body: payload, signal });
    return { status: res.status, text: await res.text() };
  }
  const socketPath = to.socket;
  return new Promise<ServerAnswer>((resolve, reject) => {
    const req = http.request({ socketPath, path: route, method: "POST", headers: { ...headers, "content-length": Buffer.byteLength(payload) }, signal }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 502, text: Buffer.concat(chunks).toString("utf8") }));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end(payload);
  });
}
