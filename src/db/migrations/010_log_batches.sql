-- Log batches a runner may send more than once (it sends again until the server acknowledges, e.g. after the
-- database was away): shipyard_append_log_batch(op, batch_key, types, payloads) appends the batch's events
-- only when the operation does not have the batch yet. The key is stored on the batch's first event only, so
-- the check costs one index probe per batch, not one per line. The operation row is locked first (the same
-- lock shipyard_append_events takes), so two deliveries of one batch racing each other store it once.
create or replace function shipyard_append_log_batch(p_op text, p_key text, p_types text[], p_payloads jsonb[])
returns setof events
language plpgsql
set plan_cache_mode = force_generic_plan
as $$
begin
  perform 1 from operations o where o.id = p_op for update;
  if exists (select 1 from events e where e.operation_id = p_op and e.dedupe_key = p_key) then
    return;
  end if;
  return query select * from shipyard_append_events(
    p_op, p_types, p_payloads, array[p_key] || array_fill(null::text, array[greatest(cardinality(p_types) - 1, 0)]));
end
$$;
