import { closestCenter, DndContext, KeyboardSensor, PointerSensor, useDroppable, useSensor, useSensors, type DragEndEvent } from "@dnd-kit/core";
import { SortableContext, sortableKeyboardCoordinates, useSortable, verticalListSortingStrategy } from "@dnd-kit/sortable";
import { CSS } from "@dnd-kit/utilities";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Link } from "@tanstack/react-router";
import { useCallback } from "react";
import { api, get } from "../api/client.ts";
import { useOperationEvents, useOperationFeed } from "../api/hooks.ts";
import type { Job, Queues } from "../api/types.ts";
import { ErrorNote, Status } from "../components/Status.tsx";

type QueueName = "rework" | "backlog";

const JOB_KINDS = ["job"] as const;

/** /jobs: what each runner executes, and the rework and backlog queues, reordered and moved by dragging. */
export function JobsPage() {
  const queryClient = useQueryClient();
  const queues = useQuery({ queryKey: ["queues"], queryFn: () => get<Queues>("/queues") });
  const refresh = useCallback(() => void queryClient.invalidateQueries({ queryKey: ["queues"] }), [queryClient]);
  const ids = [...(queues.data?.queues.flatMap((q) => q.jobs.map((j) => j.id)) ?? []), ...(queues.data?.runners.flatMap((r) => (r.executing ? [r.executing.id] : [])) ?? [])];
  useOperationEvents(ids, (e) => {
    if (e.type === "status" || e.type === "complete" || e.type === "stage") refresh();
  });
  // A job added elsewhere (the CLI, the API, another tab) or changing status shows up without a reload.
  useOperationFeed(JOB_KINDS, refresh, refresh);
  const move = useMutation({
    mutationFn: (m: { id: string; queue: QueueName; position: number }) => api<Job>("PATCH", `/jobs/${encodeURIComponent(m.id)}`, { queue: m.queue, position: m.position }),
    onSettled: refresh,
  });
  const pause = useMutation({ mutationFn: (q: { queue: QueueName; paused: boolean }) => api("POST", `/queues/${q.queue}/${q.paused ? "resume" : "pause"}`), onSettled: refresh });
  const sensors = useSensors(useSensor(PointerSensor, { activationConstraint: { distance: 4 } }), useSensor(KeyboardSensor, { coordinateGetter: sortableKeyboardCoordinates }));
  const onDragEnd = (e: DragEndEvent) => {
    if (!e.over || !queues.data) return;
    const id = String(e.active.id);
    const overId = String(e.over.id);
    const target = queues.data.queues.find((q) => `queue-${q.queue}` === overId || q.jobs.some((j) => j.id === overId));
    if (!target) return;
    const index = target.jobs.findIndex((j) => j.id === overId);
    const position = index === -1 ? target.jobs.length + 1 : index + 1;
    const from = queues.data.queues.find((q) => q.jobs.some((j) => j.id === id));
    if (from?.queue === target.queue && from.jobs.findIndex((j) => j.id === id) + 1 === position) return;
    move.mutate({ id, queue: target.queue, position });
  };
  return (
    <section aria-labelledby="jobs-title">
      <h1 id="jobs-title">Jobs</h1>
      <ErrorNote error={queues.error ?? move.error ?? pause.error} />
      <h2>Runners</h2>
      <ul className="cards">
        {queues.data?.runners.map((r) => (
          <li key={r.id} className="card">
            <strong>{r.name}</strong> <Status status={r.status} />
            <div>
              {r.executing ? (
                <Link to="/jobs/$jobId" params={{ jobId: r.executing.id }}>
                  {r.executing.prompt.slice(0, 60)}
                </Link>
              ) : (
                "idle"
              )}
            </div>
          </li>
        ))}
      </ul>
      <DndContext sensors={sensors} collisionDetection={closestCenter} onDragEnd={onDragEnd}>
        <div className="queues">
          {queues.data?.queues.map((q) => (
            <QueueColumn key={q.queue} queue={q.queue} paused={q.paused} jobs={q.jobs} onPause={() => pause.mutate({ queue: q.queue, paused: q.paused })} />
          ))}
        </div>
      </DndContext>
    </section>
  );
}

function QueueColumn({ queue, paused, jobs, onPause }: { queue: QueueName; paused: boolean; jobs: Queues["queues"][number]["jobs"]; onPause: () => void }) {
  const { setNodeRef } = useDroppable({ id: `queue-${queue}` });
  return (
    <div className="queue" aria-labelledby={`q-${queue}`}>
      <div className="title-row">
        <h2 id={`q-${queue}`}>
          {queue} {paused && <span className="status status-cancelled">paused</span>}
        </h2>
        <button type="button" onClick={onPause}>
          {paused ? "Resume" : "Pause"}
        </button>
      </div>
      <SortableContext items={jobs.map((j) => j.id)} strategy={verticalListSortingStrategy}>
        <ol ref={setNodeRef} className="queue-list" data-queue={queue}>
          {jobs.map((j) => (
            <QueuedJob key={j.id} id={j.id} prompt={j.prompt} />
          ))}
          {jobs.length === 0 && <li className="hint">empty: drop a job here</li>}
        </ol>
      </SortableContext>
    </div>
  );
}

function QueuedJob({ id, prompt }: { id: string; prompt: string }) {
  const { attributes, listeners, setNodeRef, setActivatorNodeRef, transform, transition } = useSortable({ id });
  // The list item stays a list item; only its handle is the draggable button (Space, arrows and Space again
  // move it with the keyboard), and the link beside it stays a plain link.
  return (
    <li ref={setNodeRef} className="queued" data-job={id} style={{ transform: CSS.Transform.toString(transform), transition }}>
      <button type="button" className="handle" ref={setActivatorNodeRef} {...attributes} {...listeners} aria-label={`Move: ${prompt.slice(0, 60)}`}>
        ⠿
      </button>{" "}
      <Link to="/jobs/$jobId" params={{ jobId: id }}>
        {prompt.slice(0, 80)}
      </Link>
    </li>
  );
}
