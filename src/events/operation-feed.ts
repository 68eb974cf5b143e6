// The workspace-wide feed of operation changes: a trigger (migration 024) NOTIFYs every operation's creation
// and status change; this process's one LISTEN connection hands each to the subscribers of that operation's
// workspace only. Nothing is read from the table: the notification carries the summary.
import { z } from "zod";
import { OPERATION_KINDS, type OperationKind } from "../domain/operation-kinds.ts";
import type { Logger } from "../logger.ts";
import type { Notifier } from "./notifier.ts";

/** Also hard-coded in shipyard_notify_operation (src/db/migrations/024_operation_feed.sql). */
export const OPERATIONS_CHANNEL = "shipyard_operations";

// PostgreSQL's JSON times carry an offset ("…+00:00"): given back in the API's own form (toISOString).
const Time = z.string().transform((t) => new Date(t).toISOString());

/** One change of an operation as the feed delivers it: its summary just after it was created or changed status. */
export const OperationChangeSchema = z.object({
  id: z.string(),
  kind: z.enum(OPERATION_KINDS),
  status: z.string(),
  title: z.string(),
  error: z.string().nullable(),
  createdAt: Time,
  startedAt: Time.nullable(),
  finishedAt: Time.nullable(),
});
export type OperationChange = z.infer<typeof OperationChangeSchema>;

const Notification = OperationChangeSchema.extend({ workspaceId: z.string() });

/** Receives one change; `null` means changes may have been missed (the LISTEN connection was lost): read again. */
type Listener = (change: OperationChange | null) => void;

interface Subscriber {
  kinds: ReadonlySet<OperationKind> | null;
  listener: Listener;
}

/** Fans the operation changes of every workspace out to this process's subscribers, each only its workspace's. */
export class OperationFeed {
  private readonly byWorkspace = new Map<string, Set<Subscriber>>();

  constructor(notifier: Notifier, log: Logger) {
    void notifier.on(OPERATIONS_CHANNEL, (payload) => {
      let parsed: z.infer<typeof Notification>;
      try {
        parsed = Notification.parse(JSON.parse(payload));
      } catch (err) {
        return log.warn({ err: (err as Error).message }, "unreadable operation notification");
      }
      const { workspaceId, ...change } = parsed;
      for (const sub of this.byWorkspace.get(workspaceId) ?? []) if (!sub.kinds || sub.kinds.has(change.kind)) sub.listener(change);
    });
    notifier.onReconnect(() => {
      for (const subs of this.byWorkspace.values()) for (const sub of subs) sub.listener(null);
    });
  }

  /** Deliver the workspace's operation changes (of `kinds`, or all) until the returned function is called. */
  subscribe(workspaceId: string, kinds: readonly OperationKind[] | undefined, listener: Listener): () => void {
    const subs = this.byWorkspace.get(workspaceId) ?? new Set<Subscriber>();
    this.byWorkspace.set(workspaceId, subs);
    const sub: Subscriber = { kinds: kinds?.length ? new Set(kinds) : null, listener };
    subs.add(sub);
    return () => {
      subs.delete(sub);
      if (subs.size === 0 && this.byWorkspace.get(workspaceId) === subs) this.byWorkspace.delete(workspaceId);
    };
  }

  /** Subscribers across every workspace (a gauge for /metrics). */
  get subscribers(): number {
    let n = 0;
    for (const subs of this.byWorkspace.values()) n += subs.size;
    return n;
  }
}
