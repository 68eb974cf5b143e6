// The operations store on a fresh database with DBOS's schema: which unfinished operations the kinds'
// dead-operation sweeps find from DBOS's own workflow rows.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { coreDatabase, workspace } from "../../test/helpers/core.ts";
import type { Pool } from "../db/pool.ts";
import { newId } from "../domain/ids.ts";
import type { OperationKind } from "../domain/operation-kinds.ts";
import { insertOperation, operationsWithWorkflowIn } from "./store.ts";

let pool: Pool;
let ws: string;
beforeAll(async () => {
  pool = await coreDatabase("opstore");
  ws = await workspace(pool);
});
afterAll(async () => {
  await pool?.end();
});

/** An operation of `kind` created a minute ago, with its workflow in DBOS status `wf` (null: no workflow row). */
async function operation(kind: OperationKind, wf: string | null, status = "running"): Promise<string> {
  const id = newId("op");
  await insertOperation(pool, { id, workspaceId: ws, kind, title: id });
  await pool.query("update operations set status = $2, created_at = now() - interval '1 minute' where id = $1", [id, status]);
  if (wf) {
    await pool.query(
      "insert into dbos.workflow_status (workflow_uuid, status, name, error, recovery_attempts, created_at, updated_at) values ($1, $2, 'w', 'boom', 3, 0, 0)",
      [id, wf],
    );
  }
  return id;
}

describe("operationsWithWorkflowIn", () => {
  it("finds a kind's unfinished operations whose workflow is in the given statuses, and ones with none only when asked", async () => {
    const dead = await operation("build", "ERROR");
    await operation("build", "PENDING");
    await operation("build", "ERROR", "failed"); // already ended
    const orphan = await operation("build", null);
    const otherKind = await operation("deployment", "ERROR");
    const found = await operationsWithWorkflowIn(pool, "build", ["ERROR"], false);
    expect(found.map((o) => o.id)).toEqual([dead]);
    expect(found.find((o) => o.id === dead)).toEqual({ id: dead, wf_status: "ERROR", wf_error: "boom", attempts: 3 });
    const withMissing = (await operationsWithWorkflowIn(pool, "build", ["ERROR"], true)).map((o) => o.id).sort();
    expect(withMissing).toEqual([dead, orphan].sort());
    expect((await operationsWithWorkflowIn(pool, "deployment", ["ERROR"], false)).map((o) => o.id)).toEqual([otherKind]);
  });
});
