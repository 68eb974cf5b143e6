-- Workspace secrets, encrypted by SecretBox (src/secrets/box.ts); the plaintext is never stored.
-- Secrets go when their workspace goes.
create table if not exists secrets (
  workspace_id text not null references workspaces(id) on delete cascade,
  name text not null,
  ciphertext text not null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  primary key (workspace_id, name)
);
