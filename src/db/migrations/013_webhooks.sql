-- Webhooks (issue 10 §5): a workspace's endpoints, one delivery per event per endpoint, and every attempt.

create table webhook_endpoints (
  id text primary key,
  workspace_id text not null references workspaces(id) on delete cascade,
  url text not null,
  -- Event types it receives (`*`: all); checked against the closed list when stored.
  events text[] not null check (cardinality(events) > 0),
  description text,
  -- The whsec_ signing secret, encrypted with the secret box (bound to the workspace and endpoint id).
  secret_ciphertext text not null,
  -- A receiver that answered 410 Gone gets nothing more.
  disabled_at timestamptz,
  disabled_reason text,
  created_at timestamptz not null default now()
);
create index webhook_endpoints_workspace on webhook_endpoints(workspace_id, created_at);

create table webhook_deliveries (
  -- The webhook-id header (msg_...): the same on every attempt and redelivery, the receiver's idempotency key.
  id text primary key,
  endpoint_id text not null references webhook_endpoints(id) on delete cascade,
  workspace_id text not null references workspaces(id) on delete cascade,
  -- The event's idempotency key (e.g. `<operationId>:completed`): an event emitted twice is delivered once.
  event_key text not null,
  event_type text not null,
  -- The exact body sent, {type, timestamp, data}: every attempt signs the same bytes.
  body text not null,
  status text not null default 'pending' check (status in ('pending', 'delivered', 'failed')),
  -- 1 for the first sequence of attempts, +1 per redelivery.
  round int not null default 1,
  error text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  unique (endpoint_id, event_key)
);
create index webhook_deliveries_endpoint on webhook_deliveries(endpoint_id, created_at desc);

create table webhook_attempts (
  delivery_id text not null references webhook_deliveries(id) on delete cascade,
  round int not null,
  attempt int not null,
  started_at timestamptz not null,
  duration_ms int not null,
  response_status int,
  error text,
  -- A step repeated after a crash overwrites its own row: an attempt is recorded once.
  primary key (delivery_id, round, attempt)
);
