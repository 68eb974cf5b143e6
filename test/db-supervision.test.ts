// The embedded PostgreSQL killed under a running Shipyard: the server answers 503 (never 500) while it is away,
// starts it again itself, and works on without a restart.
import { readFileSync } from "node:fs";
import { promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { isRunning } from "./helpers/liveness.ts";
import { killGroup, reservePorts, startUp, type UpProcess } from "./helpers/process.ts";
import { waitFor } from "./helpers/shipyard.ts";

let up: UpProcess | null = null;
afterAll(async () => {
  if (up) await killGroup(up).catch(() => undefined);
});

describe("the embedded PostgreSQL dies", () => {
  it("is started again by the server, which answers 503 meanwhile and then carries on", async () => {
    const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), "shipyard-pgdeath-"));
    up = await startUp(dataDir, await reservePorts());
    const api = (route: string, body?: unknown) =>
      fetch(`${up!.url}/api/v1${route}`, {
        method: body === undefined ? "GET" : "POST",
        headers: { authorization: `Bearer ${up!.token}`, "content-type": "application/json", accept: "application/json" },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    const pidOf = () => Number(readFileSync(path.join(dataDir, "pgdata", "postmaster.pid"), "utf8").split("\n")[0]);
    const first = pidOf();
    process.kill(first, "SIGKILL");

    const seen = new Set<string>();
    await waitFor(
      async () => {
        const res = await api("/runs");
        const body = (await res.json().catch(() => null)) as { code?: string } | null;
        seen.add(res.status === 200 ? "200" : `${res.status} ${body?.code ?? ""} retry-after=${res.headers.get("retry-after")}`);
        return res.status === 200 && (await isRunning(first)) === false && pidOf() !== first;
      },
      30_000,
      "the database to be back",
    );
    // Never a 500: while it was away, 503 with a code and a hint when to retry.
    for (const answer of seen) expect(["200", "503 database_unavailable retry-after=5"]).toContain(answer);

    const created = await (await api("/runs", { workflow: "name: after\nsteps:\n  - id: hi\n    run: echo still here\n" })).json();
    const run = await waitFor(async () => {
      const r = (await (await api(`/runs/${created.id}`)).json()) as { status: string };
      return ["succeeded", "failed"].includes(r.status) ? r : null;
    }, 20_000, "a run after the outage (it must not wait for a notification lost in the outage)");
    expect(run.status).toBe("succeeded");
    expect(up.output()).toContain("embedded PostgreSQL died; starting it again");
  });
});
