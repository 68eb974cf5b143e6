// The kinds of operation, and the prefix of each kind's ids: one home, so a new kind is one line here (and a
// folder plugged into src/engine/kinds.ts).

/** Every kind of durable operation; stored in `operations.kind`. */
export const OPERATION_KINDS = ["workflow", "job", "build", "publish", "deployment"] as const;
export type OperationKind = (typeof OPERATION_KINDS)[number];

/** The id prefix of each kind (`run_…`, `job_…`, `bld_…`, `pub_…`, `dep_…`). */
export const ID_PREFIX: Record<OperationKind, string> = { workflow: "run", job: "job", build: "bld", publish: "pub", deployment: "dep" };

/** The kind an operation id names by its prefix, or null for an id of no kind. */
export function kindOfId(id: string): OperationKind | null {
  return OPERATION_KINDS.find((k) => id.startsWith(`${ID_PREFIX[k]}_`)) ?? null;
}
