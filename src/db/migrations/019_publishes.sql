-- Publishes (src/publishes/): one operation of kind `publish` per request to move the version one environment
-- shows (staging) to another (production), verified before it is promoted. Its status and error are the
-- operation's; this row holds what it publishes and what it found.
create table publishes (
  id text primary key references operations(id) on delete cascade,
  workspace_id text not null references workspaces(id) on delete cascade,
  project_id text not null references projects(id) on delete cascade,
  from_environment text not null check (from_environment in ('staging', 'production')),
  to_environment text not null check (to_environment in ('staging', 'production')),
  -- The version the source environment showed when the publish was asked for: what it publishes.
  version int not null,
  deploy_target text not null,
  phase text,
  -- Where the verified version is live (the target environment's URL) once published.
  url text,
  -- The verification's screenshot, relative to the data dir.
  screenshot text,
  created_at timestamptz not null default now(),
  check (from_environment <> to_environment)
);
create index publishes_project_created on publishes(project_id, created_at desc);

-- Secrets scoped to one environment: a deploy to that environment reads the scoped one before the unscoped one.
-- Null: the workspace's secret for everything. The primary key becomes a unique index over the three, nulls equal.
alter table secrets add column environment text check (environment in ('staging', 'production'));
alter table secrets drop constraint secrets_pkey;
create unique index secrets_workspace_name_environment on secrets (workspace_id, name, environment) nulls not distinct;
