-- Coding-agent jobs: projects, jobs in per-workspace queues, encrypted secrets; tasks serve any operation.
alter table tasks drop constraint tasks_run_id_fkey;
alter table tasks rename column run_id to operation_id;
alter table tasks add constraint tasks_operation_fk foreign key (operation_id) references operations(id) on delete cascade;
-- A job's stages share one workspace directory, so all its tasks go to the runner that claimed the job.
alter table tasks add column pinned_runner_id text references runners(id) on delete set null;
-- Env var name -> secret name; resolved only when the task is sent to its runner, never stored in clear.
alter table tasks add column secret_env jsonb not null default '{}'::jsonb;
alter table runners add column missed_pings int not null default 0;

create table secrets (
  workspace_id text not null references workspaces(id) on delete cascade,
  name text not null,
  ciphertext text not null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  primary key (workspace_id, name)
);

create table projects (
  id text primary key,
  workspace_id text not null references workspaces(id) on delete cascade,
  name text not null,
  repo text not null,
  default_branch text not null,
  verify jsonb not null default '[]'::jsonb,
  on_verify_failure text not null default 'fail',
  max_attempts int not null default 3,
  github jsonb,
  credentials_secret text,
  created_at timestamptz not null default now(),
  unique (workspace_id, name)
);

create table jobs (
  id text primary key references operations(id) on delete cascade,
  workspace_id text not null references workspaces(id) on delete cascade,
  project_id text not null references projects(id) on delete cascade,
  prompt text not null,
  executor jsonb not null,
  status text not null,
  queue text not null,
  position int,
  stage text,
  branch text,
  pr_url text,
  commit_sha text,
  error text,
  attempts int not null default 0,
  runner_id text references runners(id) on delete set null,
  workflow_id text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create index jobs_waiting on jobs(workspace_id, queue, position) where status = 'queued';
create index jobs_runner on jobs(runner_id) where status = 'running';

create table job_queues (
  workspace_id text not null references workspaces(id) on delete cascade,
  queue text not null,
  paused boolean not null default false,
  primary key (workspace_id, queue)
);

-- Positions as users see them: 1..n per queue in stored order, computed on read, so claiming a job (which
-- leaves a hole in the stored numbers) never has to lock and renumber the jobs behind it.
create view jobs_positioned as
select j.*,
  case when j.status = 'queued' then
    row_number() over (partition by j.workspace_id, j.queue, j.status = 'queued' order by j.position nulls last, j.created_at)
  end::int as queue_position
from jobs j;
