-- Previews: every version a project publishes (its files live under <dataDir>/previews/<project>/<version>/), and
-- which version each of its environments shows. A build publishes at most one version (build_id unique per
-- project), so a build that is run again finds the version it made the first time.
create table preview_versions (
  project_id text not null references projects(id) on delete cascade,
  version int not null check (version >= 1),
  commit_sha text,
  build_id text,
  file_count int not null,
  total_bytes bigint not null,
  created_at timestamptz not null default now(),
  primary key (project_id, version)
);
create unique index preview_versions_build on preview_versions (project_id, build_id) where build_id is not null;

create table project_environments (
  project_id text not null references projects(id) on delete cascade,
  environment text not null check (environment in ('staging', 'production')),
  version int not null,
  updated_at timestamptz not null default now(),
  primary key (project_id, environment),
  foreign key (project_id, version) references preview_versions (project_id, version)
);

-- Where a project's builds deploy: the built-in preview host, or Cloudflare Pages through wrangler.
alter table projects add column deploy_target text not null default 'builtin' check (deploy_target in ('builtin', 'cloudflare-pages'));
