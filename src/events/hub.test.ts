// The hub under many subscribers joining at any moment while events are appended: each must receive every
// event after its cursor exactly once, in order (issue 8, point 4: joiners during a read lost a leading block).
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freshDatabase } from "../../test/helpers/database.ts";
import { migrate } from "../db/migrate.ts";
import { createPool, type Pool } from "../db/pool.ts";
import { createLogger } from "../logger.ts";
import { EventHub } from "./hub.ts";
import { Notifier } from "./notifier.ts";
import { appendEventsNow } from "./store.ts";

let pool: Pool;
let notifier: Notifier;
let hub: EventHub;
let n = 0;

beforeAll(async () => {
  const url = await freshDatabase("hub");
  pool = createPool(url, 12);
  await migrate(pool);
  await pool.query("insert into workspaces (id, name) values ('ws_1', 'one')");
  notifier = new Notifier(url, createLogger("silent"));
  await notifier.start();
  hub = new EventHub(pool, notifier, createLogger("silent"));
});
afterAll(async () => {
  await notifier?.stop();
  await pool?.end();
});

async function newOperation(): Promise<string> {
  const id = `op_${++n}`;
  await pool.query("insert into operations (id, workspace_id, kind, status, title) values ($1, 'ws_1', 'workflow', 'running', 't')", [id]);
  return id;
}

interface Joined {
  since: number;
  seqs: number[];
  stop: () => void;
}

function join(op: string, since: number): Joined {
  const j: Joined = { since, seqs: [], stop: () => undefined };
  j.stop = hub.subscribe(op, since, (events) => j.seqs.push(...events.map((e) => e.seq)));
  return j;
}

const range = (from: number, to: number) => Array.from({ length: Math.max(0, to - from + 1) }, (_, i) => from + i);

/** Wait (bounded) until every subscriber got up to `total`, stop them all, and check each one's sequence. */
async function expectAllDelivered(joined: Joined[], total: number): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (joined.some((j) => (j.seqs.at(-1) ?? j.since) < total) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  for (const j of joined) j.stop();
  const wrong = joined.filter((j) => JSON.stringify(j.seqs) !== JSON.stringify(range(j.since + 1, total)));
  expect(wrong.map((j) => ({ since: j.since, got: `${j.seqs.length} events, first ${j.seqs[0]}, last ${j.seqs.at(-1)}` }))).toEqual([]);
}

describe("event hub", () => {
  it("gives 240 subscribers joining while events are appended (concurrently, in bursts) every event exactly once, in order", async () => {
    const op = await newOperation();
    const joined: Joined[] = [];
    const writers = 3;
    const appendsPerWriter = 40;
    // Three writers append bursts of 1..3 events at once; two subscribers join after every append (from the
    // start, or from the latest seq), so many join while the hub has a read of the table in flight.
    let last = 0;
    await Promise.all(
      Array.from({ length: writers }, async (_, w) => {
        for (let i = 0; i < appendsPerWriter; i++) {
          const stored = await appendEventsNow(pool, op, Array.from({ length: 1 + ((i + w) % 3) }, (_, k) => ({ type: "log" as const, payload: { stepId: "s", stream: "stdout" as const, line: `${w}:${i}:${k}` } })));
          last = Math.max(last, stored.at(-1)!.seq);
          joined.push(join(op, 0), join(op, i % 2 === 0 ? last : 0));
        }
      }),
    );
    const total = (await pool.query<{ last_seq: number }>("select last_seq from operations where id = $1", [op])).rows[0]!.last_seq;
    expect(joined.length).toBeGreaterThanOrEqual(200);
    await expectAllDelivered(joined, total);
  });

  it("delivers exactly the events after each subscriber's cursor whatever the moment it joins (property)", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ after: fc.nat({ max: 30 }), back: fc.nat({ max: 40 }), burst: fc.integer({ min: 1, max: 4 }) }), { minLength: 1, maxLength: 25 }),
        async (joins) => {
          const op = await newOperation();
          const joined: Joined[] = [];
          let total = 0;
          for (let k = 0; k <= 30; k++) {
            // Joins are not awaited: they land while the NOTIFY of the previous append is being read.
            for (const j of joins.filter((x) => x.after === k)) joined.push(join(op, Math.max(0, total - j.back)));
            const burst = joins[k % joins.length]!.burst;
            total = (await appendEventsNow(pool, op, Array.from({ length: burst }, () => ({ type: "log" as const, payload: { stepId: "s", stream: "stdout" as const, line: String(k) } })))).at(-1)!.seq;
          }
          await expectAllDelivered(joined, total);
        },
      ),
      { numRuns: 25 },
    );
  });
});
