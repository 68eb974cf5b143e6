// A webhook receiver on loopback: it verifies every request with the standardwebhooks package, as a real
// receiver would, records it, and answers with the statuses it is told to (200 once they run out).
import http from "node:http";
import type { AddressInfo } from "node:net";
import { Webhook } from "standardwebhooks";

/** One request the receiver took. */
export interface Received {
  id: string;
  timestamp: string;
  /** Webhook.verify's answer (the parsed body), or null when the signature did not verify. */
  verified: { type: string; timestamp: string; data: Record<string, unknown> } | null;
  body: string;
}

export interface WebhookReceiver {
  url: string;
  /** The endpoint's secret, to verify with (set it once the endpoint is created). */
  secret: string | null;
  received: Received[];
  /** Statuses for the next requests, in order (with optional headers); after them: 200. */
  respond(...answers: (number | { status: number; headers: Record<string, string> })[]): void;
  close(): Promise<void>;
}

/** Start a receiver on 127.0.0.1 at `path`. */
export async function startWebhookReceiver(path = "/hook"): Promise<WebhookReceiver> {
  const answers: { status: number; headers: Record<string, string> }[] = [];
  const r: WebhookReceiver = {
    url: "",
    secret: null,
    received: [],
    respond: (...a) => answers.push(...a.map((x) => (typeof x === "number" ? { status: x, headers: {} } : x))),
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks).toString("utf8");
      const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(",") : (v ?? "")]));
      let verified: Received["verified"];
      try {
        verified = r.secret ? (new Webhook(r.secret).verify(body, headers) as Received["verified"]) : null;
      } catch {
        verified = null;
      }
      r.received.push({ id: headers["webhook-id"] ?? "", timestamp: headers["webhook-timestamp"] ?? "", verified, body });
      const answer = answers.shift() ?? { status: 200, headers: {} };
      res.writeHead(answer.status, { "content-type": "text/plain", ...answer.headers });
      res.end(req.url === path ? "ok" : "wrong path");
    });
  });
  server.keepAliveTimeout = 100;
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  r.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}${path}`;
  return r;
}
