// GET /runs filters on the server: several statuses, a workflow name or its prefix, a creation-time range, and
// cursor pages; a bad time is a 400 problem that says the format.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { finishOperation, markOperationPending } from "../../operations/store.ts";
import { startInMemoryApp, type InMemoryApp } from "../../../test/helpers/in-memory-app.ts";

let app: InMemoryApp;
const ids: Record<string, string> = {};

const workflow = (name: string) => `name: ${name}\nsteps:\n  - id: a\n    run: echo a\n`;

beforeAll(async () => {
  app = await startInMemoryApp("runs-list");
  // Oldest first: deploy-web (Nov 28, succeeded), deploy-api (Nov 29, running), build (Nov 30, failed), deploy (Dec 1, pending).
  const seeds = [
    ["deployWeb", "deploy-web", "2026-11-28T10:00:00Z", "succeeded"],
    ["deployApi", "deploy-api", "2026-11-29T10:00:00Z", "running"],
    ["build", "build", "2026-11-30T10:00:00Z", "failed"],
    ["deploy", "deploy", "2026-12-01T10:00:00Z", "pending"],
  ] as const;
  for (const [key, name, at, status] of seeds) {
    const created = await app.api("POST", "/runs", { workflow: workflow(name) });
    expect(created.status).toBe(201);
    ids[key] = created.body.id;
    // A created run is already running here (no engine holds it back): pending is set as a queued run has it.
    if (status === "pending") await markOperationPending(app.pool, created.body.id);
    if (status === "succeeded" || status === "failed") await finishOperation(app.pool, created.body.id, status, null);
    await app.pool.query("update operations set created_at = $2 where id = $1", [created.body.id, at]);
  }
});
afterAll(() => app.close());

const list = async (q: string) => {
  const res = await app.api("GET", `/runs${q}`);
  expect(res.status).toBe(200);
  return res.body as { runs: { id: string }[]; nextCursor: string | null };
};
const idsOf = async (q: string) => (await list(q)).runs.map((r) => r.id);

describe("GET /runs filters", () => {
  it("filters by workflow name, exactly or by a prefix ending in *", async () => {
    expect(await idsOf("?workflow=deploy")).toEqual([ids.deploy]);
    expect(await idsOf("?workflow=deploy*")).toEqual([ids.deploy, ids.deployApi, ids.deployWeb]);
    expect(await idsOf("?workflow=deploy-*")).toEqual([ids.deployApi, ids.deployWeb]);
    expect(await idsOf("?workflow=eploy*")).toEqual([]);
  });

  it("takes several statuses, comma-separated or repeated", async () => {
    expect(await idsOf("?status=running,failed")).toEqual([ids.build, ids.deployApi]);
    expect(await idsOf("?status=succeeded&status=pending")).toEqual([ids.deploy, ids.deployWeb]);
    expect(await idsOf("?status=failed")).toEqual([ids.build]);
  });

  it("filters on the creation time, since inclusive and until exclusive, with the other filters", async () => {
    expect(await idsOf("?since=2026-11-29T10:00:00Z&until=2026-12-01T10:00:00Z")).toEqual([ids.build, ids.deployApi]);
    expect(await idsOf("?since=2026-11-29&workflow=deploy*")).toEqual([ids.deploy, ids.deployApi]);
    expect(await idsOf("?until=2026-11-29T11:00:00%2B01:00")).toEqual([ids.deployWeb]);
  });

  it("pages with limit and nextCursor until the last page says null", async () => {
    const first = await list("?limit=3");
    expect(first.runs.map((r) => r.id)).toEqual([ids.deploy, ids.build, ids.deployApi]);
    expect(first.nextCursor).toBe(ids.deployApi);
    const second = await list(`?limit=3&before=${first.nextCursor}`);
    expect(second).toMatchObject({ runs: [{ id: ids.deployWeb }], nextCursor: null });
  });

  it("answers a bad time or status with a 400 problem saying what is expected", async () => {
    const bad = await app.api("GET", "/runs?since=yesterday");
    expect(bad.status).toBe(400);
    expect(bad.headers.get("content-type")).toContain("application/problem+json");
    expect(bad.body.code).toBe("invalid_request");
    expect(JSON.stringify(bad.body)).toContain("ISO 8601 time such as 2026-12-01T10:00:00Z");
    expect((await app.api("GET", "/runs?status=running,sleeping")).status).toBe(400);
    expect((await app.api("GET", "/runs?since=2026-12-02&until=2026-12-01")).status).toBe(400);
  });
});
