-- The workspace-wide feed of operation changes (src/events/operation-feed.ts): every insert of an operation and
-- every change of its status NOTIFYs channel shipyard_operations with a short summary. A trigger, not the
-- stores, because statuses are also written by SQL functions (migrations 003 and 018); NOTIFY is delivered at
-- commit, so a listener never hears of a row it cannot read yet. Text fields are cut so the payload stays far
-- below NOTIFY's 8000-byte limit.
create function shipyard_notify_operation() returns trigger language plpgsql as $$
begin
  perform pg_notify('shipyard_operations', json_build_object(
    'id', new.id, 'workspaceId', new.workspace_id, 'kind', new.kind, 'status', new.status,
    'title', left(new.title, 200), 'error', left(new.error, 500),
    'createdAt', new.created_at, 'startedAt', new.started_at, 'finishedAt', new.finished_at)::text);
  return null;
end $$;

create trigger operations_feed_insert after insert on operations
  for each row execute function shipyard_notify_operation();
create trigger operations_feed_status after update of status on operations
  for each row when (old.status is distinct from new.status) execute function shipyard_notify_operation();
