-- Fast paths: the hot writes of a run as single round trips (each a plpgsql function, so its statements are
-- planned once per connection): appending events (was 5 round trips), locking a run with its steps and
-- settling a task report (was 3), writing an advance's step rows and events (was 1 per row + 5), creating a
-- run (was 6 + 2 to read it back). Semantics are unchanged; see each function.
--
-- shipyard_append_events(op, types, payloads, dedupe_keys) appends the events in order and returns the rows it
-- inserted, with exactly the semantics the client-side sequence had:
--   * the operation row is locked FOR UPDATE, so concurrent writers number gap-free (the lock is held until
--     the caller's transaction ends; a lone call is its own transaction);
--   * an event whose dedupe key the operation already has is dropped before numbering, so no gap is left;
--   * operations.last_seq is advanced and NOTIFY 'shipyard_events' '<op>:<last seq>' is queued in the same
--     transaction (PostgreSQL delivers it only on commit, so no subscriber hears of an unreadable event);
--   * an unknown operation raises 'operation <op> does not exist'.
-- The channel name must match EVENTS_CHANNEL in src/events/store.ts.
create or replace function shipyard_append_events(p_op text, p_types text[], p_payloads jsonb[], p_keys text[])
returns setof events
language plpgsql
-- Their statements run on every call with the same shapes: plan once per connection, not per call.
set plan_cache_mode = force_generic_plan
as $$
declare
  v_last bigint;
  v_count bigint;
begin
  select o.last_seq into v_last from operations o where o.id = p_op for update;
  if not found then
    raise exception 'operation % does not exist', p_op using errcode = 'no_data_found';
  end if;
  return query
    with input as (
      select i.type, i.payload, i.dedupe_key, i.ord
      from unnest(p_types, p_payloads, p_keys) with ordinality as i(type, payload, dedupe_key, ord)
    ),
    fresh as (
      select i.type, i.payload, i.dedupe_key, row_number() over (order by i.ord) as n
      from input i
      where i.dedupe_key is null
         or not exists (select 1 from events e where e.operation_id = p_op and e.dedupe_key = i.dedupe_key)
    ),
    inserted as (
      insert into events (operation_id, seq, type, payload, dedupe_key)
      select p_op, v_last + f.n, f.type, f.payload, f.dedupe_key from fresh f order by f.n
      returning *
    )
    select * from inserted order by seq;
  get diagnostics v_count = row_count;
  if v_count > 0 then
    update operations set last_seq = v_last + v_count where id = p_op;
    perform pg_notify('shipyard_events', p_op || ':' || (v_last + v_count)::text);
  end if;
end
$$;

-- shipyard_lock_run(run, task, dispatch, result): a run's row (operations row locked FOR UPDATE) and its steps
-- in one round trip. The steps are read by a statement of their own, after the lock is granted, so (in READ
-- COMMITTED) they include whatever the previous lock holder committed: a single statement would read them
-- with the snapshot taken before it waited for the lock.
-- With a task, and only while the run is not finished, the task's report is also settled under the lock
-- (status 'done' if it is still that dispatch, assigned or reported); r_task is then {attempt, spec} of the
-- settled task, or null for a stale or duplicate report.
create or replace function shipyard_lock_run(p_run text, p_task text default null, p_dispatch int default null, p_result jsonb default null)
returns table (r_workspace_id text, r_status text, r_definition jsonb, r_inputs jsonb, r_cancel_requested_at timestamptz, r_steps json, r_task json)
language plpgsql
-- Their statements run on every call with the same shapes: plan once per connection, not per call.
set plan_cache_mode = force_generic_plan
as $$
begin
  select o.workspace_id, o.status, r.definition, r.inputs, r.cancel_requested_at
    into r_workspace_id, r_status, r_definition, r_inputs, r_cancel_requested_at
    from runs r join operations o on o.id = r.id where r.id = p_run for update of o;
  if not found then
    return;
  end if;
  if p_task is not null and r_status not in ('succeeded', 'failed', 'cancelled') then
    update tasks t set status = 'done', result = p_result, finished_at = now()
      where t.id = p_task and t.dispatch = p_dispatch and t.status in ('assigned', 'reported')
      returning json_build_object('attempt', t.attempt, 'spec', t.spec) into r_task;
  end if;
  select coalesce(json_agg(s order by s.position), '[]'::json) into r_steps from run_steps s where s.run_id = p_run;
  return next;
end
$$;

-- shipyard_create_run(...): a new run (operation, run row, its steps) and its first events in one statement,
-- so creating a run is atomic without BEGIN/COMMIT round trips. Returns the operation's created_at.
create or replace function shipyard_create_run(
  p_id text, p_workspace text, p_name text, p_source text, p_definition jsonb, p_inputs jsonb, p_key text,
  p_rerun_of text, p_step_ids text[], p_phases text[], p_types text[], p_payloads jsonb[], p_keys text[])
returns timestamptz
language plpgsql
-- Their statements run on every call with the same shapes: plan once per connection, not per call.
set plan_cache_mode = force_generic_plan
as $$
declare
  v_created timestamptz;
begin
  insert into operations (id, workspace_id, kind, status, title) values (p_id, p_workspace, 'workflow', 'pending', p_name)
    returning created_at into v_created;
  insert into runs (id, workspace_id, workflow_name, source, definition, inputs, concurrency_key, rerun_of)
    values (p_id, p_workspace, p_name, p_source, p_definition, p_inputs, p_key, p_rerun_of);
  insert into run_steps (run_id, step_id, phase, position, status)
    select p_id, s.id, s.phase, s.pos, 'pending' from unnest(p_step_ids, p_phases) with ordinality as s(id, phase, pos);
  perform 1 from shipyard_append_events(p_id, p_types, p_payloads, p_keys);
  return v_created;
end
$$;

-- shipyard_flush_run(run, steps..., events...): what an advance of a run has pending, in one round trip: the
-- changed run_steps rows (finished_at set once when a step finishes, cleared when it is not finished) and
-- then its events through shipyard_append_events (returned as inserted).
create or replace function shipyard_flush_run(
  p_run text, p_step_ids text[], p_statuses text[], p_outputs jsonb[], p_exit_codes int[], p_errors text[], p_finished bool[],
  p_attempts int[], p_types text[], p_payloads jsonb[], p_keys text[])
returns setof events
language plpgsql
-- Their statements run on every call with the same shapes: plan once per connection, not per call.
set plan_cache_mode = force_generic_plan
as $$
begin
  update run_steps s set status = u.status, outputs = u.outputs, exit_code = u.exit_code, error = u.error, attempt = u.attempt,
      finished_at = case when u.finished then coalesce(s.finished_at, now()) else null end
    from unnest(p_step_ids, p_statuses, p_outputs, p_exit_codes, p_errors, p_finished, p_attempts)
      as u(step_id, status, outputs, exit_code, error, finished, attempt)
    where s.run_id = p_run and s.step_id = u.step_id;
  if coalesce(array_length(p_types, 1), 0) > 0 then
    return query select * from shipyard_append_events(p_run, p_types, p_payloads, p_keys);
  end if;
end
$$;
