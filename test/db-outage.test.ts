// The database goes away while a step prints: the runner keeps what the server could not store and sends it
// again until the server acknowledges it, so every line ends up stored exactly once and the result is applied
// once the database is back. Only this file's database is made unavailable (no connections allowed, its
// sessions ended), so the other test files sharing the PostgreSQL are unaffected.
import { writeFileSync } from "node:fs";
import path from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { operationEvents, startTestShipyard, waitFor, type TestShipyard } from "./helpers/shipyard.ts";

let s: TestShipyard;
let admin: pg.Client;
let database: string;

beforeAll(async () => {
  s = await startTestShipyard();
  database = new URL(s.databaseUrl).pathname.slice(1);
  admin = new pg.Client({ connectionString: inject("pgAdminUrl") });
  await admin.connect();
});
afterAll(async () => {
  await admin?.query(`alter database "${database}" allow_connections true`).catch(() => undefined);
  await admin?.end();
  await s?.stop();
});

/** Refuse new connections to this file's database and end the ones it has. */
async function takeDatabaseAway(): Promise<void> {
  await admin.query(`alter database "${database}" allow_connections false`);
  await admin.query("select pg_terminate_backend(pid) from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()", [database]);
}

async function bringDatabaseBack(): Promise<void> {
  await admin.query(`alter database "${database}" allow_connections true`);
}

const LINES = 150;

describe("the database goes away while a step prints", () => {
  it("every line the step printed is stored exactly once, in order, and its result is applied after the database is back", async () => {
    const created = await s.api("POST", "/runs", {
      workflow: `
name: printing-through
steps:
  - id: chatty
    run: |
      for i in $(seq 1 ${LINES}); do echo "line $i"; sleep 0.04; done
      echo "count=${LINES}" >> "$SHIPYARD_OUTPUT"
  - id: quick
    run: |
      while [ ! -e away ]; do sleep 0.05; done
      echo "finished while the database was away"
      echo "ended=in-outage" >> "$SHIPYARD_OUTPUT"
`,
    });
    expect(created.status).toBe(201);
    const runId = created.body.id as string;
    // The test and the sandboxed step share only its workspace.
    const marks = path.join(s.dataDir, "runner", "workspaces", runId);
    const printed = async () => (await operationEvents(s, runId)).filter((e) => e.type === "log" && e.payload.stepId === "chatty").length;
    await waitFor(async () => (await printed()) >= 10, 30_000, "the step to print");

    await takeDatabaseAway();
    // `chatty` goes on printing through the outage; `quick` finishes in it, so its result is sent while nothing
    // can store it.
    writeFileSync(path.join(marks, "away"), "");
    await new Promise((r) => setTimeout(r, 1500));
    await bringDatabaseBack();

    const run = await waitFor(
      async () => {
        const r = await s.api("GET", `/runs/${runId}`).catch(() => null);
        return r?.status === 200 && ["succeeded", "failed", "cancelled"].includes(r.body.status) ? r.body : null;
      },
      40_000,
      "the run to finish after the outage",
    );
    expect(run.status).toBe("succeeded");
    const steps = Object.fromEntries(run.steps.map((x: { id: string }) => [x.id, x]));
    expect(steps.chatty).toMatchObject({ status: "succeeded", outputs: { count: String(LINES) } });
    expect(steps.quick).toMatchObject({ status: "succeeded", attempt: 1, outputs: { ended: "in-outage" } });

    const events = await operationEvents(s, runId);
    const lines = events.filter((e) => e.type === "log" && e.payload.stepId === "chatty").map((e) => e.payload.line);
    expect(lines).toEqual(Array.from({ length: LINES }, (_, i) => `line ${i + 1}`));
    const quick = events.filter((e) => e.type === "log" && e.payload.stepId === "quick").map((e) => e.payload.line);
    expect(quick).toEqual(["finished while the database was away"]);
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
    expect(events.filter((e) => e.type === "complete")).toHaveLength(1);
  });
});
