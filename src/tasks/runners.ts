// Runners as the API shows them.
import type { Queryable } from "../db/pool.ts";
import type { RunnerStatus } from "../domain/statuses.ts";
import type { Sandbox } from "../runner/protocol.ts";
import { runnersOfWorkspace } from "./runner-store.ts";

/** A runner as the API shows it. */
export interface RunnerView {
  id: string;
  name: string;
  labels: string[];
  slots: number;
  status: RunnerStatus;
  shared: boolean;
  sandbox: Sandbox;
  activeTasks: number;
  connectedAt: string | null;
  lastSeenAt: string | null;
}

/** The runners serving a workspace (its own and the shared pool), by name. */
export async function listRunners(db: Queryable, workspaceId: string): Promise<RunnerView[]> {
  return (await runnersOfWorkspace(db, workspaceId)).map((r) => ({
    id: r.id,
    name: r.name,
    labels: r.labels,
    slots: r.slots,
    status: r.status,
    shared: r.workspace_id === null,
    sandbox: r.sandbox,
    activeTasks: r.active,
    connectedAt: r.connected_at?.toISOString() ?? null,
    lastSeenAt: r.last_seen_at?.toISOString() ?? null,
  }));
}
