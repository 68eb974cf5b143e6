// The client side of bench/sse-fanout.ts, in a process of its own so the server's memory is the server's:
// opens N SSE streams on one operation, one every SPREAD/N ms, prints `held N` once every stream has answered
// 200, follows each to its end, then prints one JSON line with what each stream received.
//   node --import tsx bench/lib/sse-followers.ts URL TOKEN OPERATION N SPREAD_MS
import { createParser } from "eventsource-parser";

interface Followed {
  /** Sequence numbers 1..k, gap-free and without repeats. */
  contiguous: boolean;
  count: number;
  lastSeq: number;
  endedWithComplete: boolean;
  error?: string;
}

const [url, token, operationId, nText, spreadText] = process.argv.slice(2);
const n = Number(nText);
const spreadMs = Number(spreadText);
if (!url || !token || !operationId || !Number.isInteger(n) || n < 1 || !Number.isFinite(spreadMs)) {
  process.stderr.write("usage: sse-followers.ts URL TOKEN OPERATION N SPREAD_MS\n");
  process.exit(2);
}

let answered = 0;

async function follow(): Promise<Followed> {
  const f: Followed = { contiguous: true, count: 0, lastSeq: 0, endedWithComplete: false };
  const res = await fetch(`${url}/api/v1/operations/${operationId}/events`, {
    headers: { authorization: `Bearer ${token}`, accept: "text/event-stream" },
    signal: AbortSignal.timeout(5 * 60_000),
  });
  if (res.status !== 200 || !res.body) return { ...f, contiguous: false, error: `status ${res.status}` };
  if (++answered === n) process.stdout.write(`held ${n}\n`);
  const parser = createParser({
    onEvent: (m) => {
      const seq = Number(m.id);
      if (seq !== f.lastSeq + 1) f.contiguous = false;
      f.lastSeq = seq;
      f.count += 1;
      f.endedWithComplete = m.event === "complete";
    },
  });
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  for (let r = await reader.read(); !r.done; r = await reader.read()) parser.feed(decoder.decode(r.value, { stream: true }));
  return f;
}

const failed = (err: Error): Followed => ({ contiguous: false, count: 0, lastSeq: 0, endedWithComplete: false, error: err.message });
const followers = Array.from({ length: n }, (_, i) => new Promise((r) => setTimeout(r, (i * spreadMs) / n)).then(follow).catch(failed));
process.stdout.write(`${JSON.stringify({ followers: await Promise.all(followers) })}\n`);
