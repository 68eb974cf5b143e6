-- One row per executor id that has run workflows (`shipyard up`, later `shipyard worker`): its heartbeat, and
-- who recovered its pending workflows once it was found dead or had stopped. A live process also holds a
-- session advisory lock on its executor id (src/workers/worker-store.ts), so a recovery never runs while the
-- process may still be executing, and a restart with the same id waits for a recovery in progress.
create table workers (
  executor_id text primary key,
  status text not null check (status in ('running', 'stopped', 'dead')),
  -- Random per process start: a process that finds another incarnation in its row was replaced.
  incarnation text not null,
  pid int,
  host text,
  started_at timestamptz not null default now(),
  heartbeat_at timestamptz not null default now(),
  -- Start of the current unbroken run of heartbeats: a worker just back from an outage judges no one.
  beating_since timestamptz not null default now(),
  stopped_at timestamptz,
  claimed_by text,
  claimed_at timestamptz,
  recovered_at timestamptz,
  recovered_workflows int
);

-- Step spans (src/tracing/) read a workflow's finished tasks, from the latest seen on.
create index tasks_done_by_workflow on tasks(workflow_id, finished_at) where status = 'done';
