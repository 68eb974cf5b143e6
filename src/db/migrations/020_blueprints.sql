-- Blueprints (src/blueprints/): the structured plan the Architect chat shapes, one per feature of a project.
-- The plan itself (summary, sections, open questions, assumptions) is one zod-validated document; readyToBuild
-- and blockers are computed from it on every read, never stored, so they cannot disagree with it.
create table blueprints (
  id text primary key,
  workspace_id text not null references workspaces(id) on delete cascade,
  project_id text not null references projects(id) on delete cascade,
  feature_name text not null,
  -- docs/specs/<slug>.md: fixed at creation so a later rename never moves the spec.
  slug text not null,
  plan jsonb not null,
  status text not null default 'draft' check (status in ('draft', 'building', 'built', 'archived')),
  -- Bumped by every chat turn: a turn that read an older version is refused instead of overwriting another.
  version int not null default 0,
  -- The build that made it `building`/`built`, the commit it built, and why the last build failed.
  last_build_id text,
  built_commit text,
  last_error text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  unique (project_id, slug)
);
create index blueprints_project_created on blueprints(project_id, created_at desc);

-- Every chat turn: the user's message and the Architect's reply, the reply with the plan as it stood after it.
create table blueprint_messages (
  id bigserial primary key,
  blueprint_id text not null references blueprints(id) on delete cascade,
  role text not null check (role in ('user', 'architect')),
  content text not null,
  -- The references the message brought (ids of blueprint_references).
  reference_ids jsonb not null default '[]',
  -- The blueprint (as the API shows it) after the turn; null on the user's half.
  snapshot jsonb,
  created_at timestamptz not null default now()
);
create index blueprint_messages_blueprint on blueprint_messages(blueprint_id, id);

-- Design references: a URL captured as a full-page screenshot, or an uploaded image; files under the data dir.
create table blueprint_references (
  id text primary key,
  blueprint_id text not null references blueprints(id) on delete cascade,
  workspace_id text not null references workspaces(id) on delete cascade,
  type text not null check (type in ('url', 'screenshot')),
  -- The URL, or the uploaded file's name.
  source text not null,
  media_type text not null,
  -- Relative to the data dir.
  image_path text not null,
  thumbnail_path text not null,
  bytes int not null,
  created_at timestamptz not null default now()
);
create index blueprint_references_blueprint on blueprint_references(blueprint_id, created_at);

-- A build made from a blueprint: the spec it was rendered from lives in the build's prompt, its path here.
alter table builds add column blueprint_id text references blueprints(id) on delete set null;
alter table builds add column spec_path text;
