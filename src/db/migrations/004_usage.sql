-- Model usage and budgets (src/agents/llm). model_usage is an append-only ledger: operation and project ids
-- carry no foreign key, so costs stay reportable after a run or project is deleted; a workspace's deletion
-- removes its ledger with it. Calls made outside any workspace have a null workspace_id.
create table model_usage (
  id bigserial primary key,
  workspace_id text references workspaces(id) on delete cascade,
  operation_id text,
  project_id text,
  provider text not null,
  model text not null,
  call_kind text not null check (call_kind in ('generate', 'stream')),
  input_tokens int not null check (input_tokens >= 0),
  output_tokens int not null check (output_tokens >= 0),
  cached_tokens int not null default 0 check (cached_tokens >= 0),
  cost_usd numeric(18, 9) not null default 0,
  -- false when the price table did not know the model: its cost_usd is 0, not a real figure.
  priced boolean not null,
  latency_ms int not null check (latency_ms >= 0),
  created_at timestamptz not null default now()
);
create index model_usage_workspace_time on model_usage(workspace_id, created_at);
create index model_usage_operation on model_usage(operation_id) where operation_id is not null;

-- Budgets in USD: one daily budget per workspace (UTC days) and one budget per operation.
create table budgets (
  workspace_id text not null references workspaces(id) on delete cascade,
  kind text not null check (kind in ('workspace_daily', 'operation')),
  operation_id text,
  limit_usd numeric(18, 9) not null check (limit_usd >= 0),
  updated_at timestamptz not null default now(),
  check ((kind = 'operation') = (operation_id is not null))
);
create unique index budgets_key on budgets(workspace_id, kind, coalesce(operation_id, ''));
