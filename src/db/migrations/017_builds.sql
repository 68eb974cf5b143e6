-- Builds (src/builds/): one operation of kind `build` per request, turning a prompt into a verified, committed and
-- published preview of a project. Its status and error are the operation's; this row holds what the build made.
create table builds (
  id text primary key references operations(id) on delete cascade,
  workspace_id text not null references workspaces(id) on delete cascade,
  project_id text not null references projects(id) on delete cascade,
  -- null: a deploy of the project's current commit (a project's first version, a redeploy)
  prompt text,
  phase text,
  -- The plan's tasks, as the model gave them (zod-validated before they are stored).
  tasks jsonb,
  runner_id text,
  commit_sha text,
  preview_version int,
  preview_url text,
  -- The preview check's screenshot, relative to the data dir.
  screenshot text,
  fix_attempts int not null default 0,
  max_fix_attempts int not null default 2,
  created_at timestamptz not null default now()
);
create index builds_project_created on builds(project_id, created_at desc);

-- The coding agent a project's builds use: the built-in agent, or Claude Code.
alter table projects add column build_agent text not null default 'builtin' check (build_agent in ('builtin', 'claude-code'));
