// The operation-kind registry: each kind of operation declares in one place the DBOS workflows that execute
// it, how it is cancelled, the events it logs, how the API shows it and the sweep that recovers its stalled
// operations. GET /operations/{id}, POST /operations/{id}/cancel and the engine's registration and schedules
// go through it, so a new kind is a folder with its `kind.ts` and one line below.
import type { ScheduledWorkflowFn } from "@dbos-inc/dbos-sdk";
import type { Queryable } from "../db/pool.ts";
import type { OperationKind } from "../domain/operation-kinds.ts";
import type { EventType } from "../events/catalogue.ts";
import { buildKind } from "../builds/kind.ts";
import { deploymentKind } from "../deployments/kind.ts";
import { jobKind } from "../jobs/kind.ts";
import { publishKind } from "../publishes/kind.ts";
import { runKind } from "../runs/kind.ts";
import type { LocalWorkflows, OperationDeps } from "./control.ts";
import type { EngineResources } from "./resources.ts";

/** A DBOS schedule: a scheduled workflow and its crontab (seconds first). */
export interface SweepSchedule {
  scheduleName: string;
  workflowFn: ScheduledWorkflowFn;
  schedule: string;
}

/** What a kind of operation plugs into the core. */
export interface OperationKindSpec<View = unknown> {
  kind: OperationKind;
  /** The name of the DBOS workflow that executes one operation of this kind. */
  workflow: string;
  /** The event types its operations log. */
  events: readonly EventType[];
  /** The kind's own view of one of its operations (404 when it is not in the workspace). */
  view(db: Queryable, workspaceId: string, id: string): Promise<View>;
  /** Cancel one of its operations (404 when not in the workspace, 409 when finished); the view after it. */
  cancel(deps: OperationDeps, workspaceId: string, id: string): Promise<View>;
  /** Register its DBOS workflows (once per process, before launch) with the resources they use; returns its sweep's schedule. */
  register(res: EngineResources, workflows: LocalWorkflows): SweepSchedule;
}

/** Every kind, by the name stored in `operations.kind`. */
export const KINDS = {
  workflow: runKind,
  job: jobKind,
  build: buildKind,
  publish: publishKind,
  deployment: deploymentKind,
} as const satisfies { readonly [K in OperationKind]: OperationKindSpec };
