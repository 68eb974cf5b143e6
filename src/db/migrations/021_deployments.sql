-- Deployments (src/deployments/): one operation of kind `deployment` per request to generate a project's
-- deployment files (and commit them) or to execute them against a target. Its status and error are the
-- operation's; this row holds what was asked, the progress and what it made.
create table deployments (
  id text primary key references operations(id) on delete cascade,
  workspace_id text not null references workspaces(id) on delete cascade,
  project_id text not null references projects(id) on delete cascade,
  generator text not null,
  mode text not null check (mode in ('generate', 'execute')),
  -- generate mode: commit straight to the default branch instead of a branch with a pull request.
  direct boolean not null default false,
  -- The user's config and target as given (validated again by the workflow; secrets by name only).
  config jsonb not null,
  target jsonb,
  -- The progress as the seed shows it: the step it is in, its number of stepsTotal, a line about it.
  current_step text,
  steps_current int not null default 0,
  steps_total int not null,
  message text,
  -- What it made: the generated files ([{path, content}]), the commit, its branch and pull request, the URL.
  files jsonb,
  commit_sha text,
  branch text,
  pr_url text,
  deployment_url text,
  runner_id text,
  created_at timestamptz not null default now()
);
create index deployments_project_created on deployments(project_id, created_at desc);
create index deployments_workspace_created on deployments(workspace_id, created_at desc);
