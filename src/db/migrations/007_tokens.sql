-- Tokens carry a role and can be revoked; runners record whether they sandbox their steps.
-- Every existing token becomes an owner of its workspace (the admin token too: it keeps is_admin on top).
alter table api_tokens add column role text not null default 'owner'
  check (role in ('owner', 'member', 'viewer', 'runner'));
-- A runner token of the shared pool (issued by the admin only): its runners serve every workspace.
alter table api_tokens add column shared boolean not null default false;
alter table api_tokens add constraint api_tokens_shared_runner check (not shared or role = 'runner');
alter table api_tokens add column revoked_at timestamptz;
create index api_tokens_workspace on api_tokens(workspace_id, created_at) where revoked_at is null;

-- Reported by the runner at hello: `bwrap` when its steps run in a bubblewrap sandbox, `none` otherwise.
alter table runners add column sandbox text not null default 'none' check (sandbox in ('bwrap', 'none'));
