-- Workspaces, tokens, operations and their events, workflow runs, runners and the tasks dispatched to them.
create table workspaces (
  id text primary key,
  name text not null unique,
  created_at timestamptz not null default now()
);

create table api_tokens (
  id text primary key,
  workspace_id text not null references workspaces(id) on delete cascade,
  token_hash text not null unique,
  name text not null,
  is_admin boolean not null default false,
  created_at timestamptz not null default now(),
  last_used_at timestamptz
);

create table operations (
  id text primary key,
  workspace_id text not null references workspaces(id) on delete cascade,
  kind text not null,
  status text not null,
  title text not null,
  error text,
  last_seq bigint not null default 0,
  created_at timestamptz not null default now(),
  started_at timestamptz,
  finished_at timestamptz
);
create index operations_workspace_created on operations(workspace_id, created_at desc);
create index operations_status on operations(status);

create table events (
  operation_id text not null references operations(id) on delete cascade,
  seq bigint not null,
  type text not null,
  payload jsonb not null,
  dedupe_key text,
  created_at timestamptz not null default clock_timestamp(),
  primary key (operation_id, seq)
);
create unique index events_dedupe on events(operation_id, dedupe_key) where dedupe_key is not null;

create table runs (
  id text primary key references operations(id) on delete cascade,
  workspace_id text not null references workspaces(id) on delete cascade,
  workflow_name text not null,
  source text not null,
  definition jsonb not null,
  inputs jsonb not null,
  outputs jsonb,
  concurrency_key text,
  rerun_of text references runs(id) on delete set null,
  cancel_requested_at timestamptz
);

create table run_steps (
  run_id text not null references runs(id) on delete cascade,
  step_id text not null,
  phase text not null,
  position int not null,
  status text not null,
  attempt int not null default 0,
  outputs jsonb not null default '{}'::jsonb,
  exit_code int,
  error text,
  runner_id text,
  started_at timestamptz,
  finished_at timestamptz,
  primary key (run_id, step_id)
);

create table runners (
  id text primary key,
  workspace_id text references workspaces(id) on delete cascade,
  name text not null,
  labels jsonb not null default '[]'::jsonb,
  slots int not null,
  status text not null,
  server_id text,
  version text,
  connected_at timestamptz,
  last_seen_at timestamptz
);
create unique index runners_name on runners(coalesce(workspace_id, ''), name);

create table tasks (
  id text primary key,
  run_id text not null references runs(id) on delete cascade,
  step_id text not null,
  attempt int not null,
  workspace_id text not null,
  workflow_id text not null,
  spec jsonb not null,
  status text not null,
  runner_id text references runners(id) on delete set null,
  dispatch int not null default 0,
  result jsonb,
  created_at timestamptz not null default clock_timestamp(),
  assigned_at timestamptz,
  finished_at timestamptz
);
create index tasks_queued on tasks(created_at) where status = 'queued';
create index tasks_runner on tasks(runner_id) where status = 'assigned';
