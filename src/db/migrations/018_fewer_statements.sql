-- Fewer round trips per step and per run (issue 9 §2). Each function does what several statements did, in the
-- same order and under the same locks; the old functions stay for processes of the previous version.
--
-- shipyard_lock_run_and_take(run, task, dispatch, result, start): shipyard_lock_run (migration 009), and then
--   * with a task whose report it settled, also takes (marks done) every other task of the run a runner has
--     reported, returned in r_reported as [{result, attempt, spec}] (was a statement of its own after each
--     result: takeReportedTasks);
--   * with p_start, a pending run becomes running (r_started true; was markOperationRunning).
create or replace function shipyard_lock_run_and_take(p_run text, p_task text, p_dispatch int, p_result jsonb, p_start boolean)
returns table (r_workspace_id text, r_status text, r_definition jsonb, r_inputs jsonb, r_cancel_requested_at timestamptz, r_steps json, r_task json,
  r_reported json, r_started boolean)
language plpgsql
set plan_cache_mode = force_generic_plan
as $$
begin
  select o.workspace_id, o.status, r.cancel_requested_at
    into r_workspace_id, r_status, r_cancel_requested_at
    from runs r join operations o on o.id = r.id where r.id = p_run for update of o;
  if not found then
    return;
  end if;
  r_started := false;
  if r_status in ('succeeded', 'failed', 'cancelled') then
    return next;
    return;
  end if;
  if p_task is not null then
    update tasks t set status = 'done', result = p_result, finished_at = now()
      where t.id = p_task and t.dispatch = p_dispatch and t.status in ('assigned', 'reported')
      returning json_build_object('attempt', t.attempt, 'spec', t.spec) into r_task;
    if r_task is null then
      return next;
      return;
    end if;
    with taken as (
      update tasks t set status = 'done', finished_at = now()
        where t.operation_id = p_run and t.status = 'reported' and t.result is not null
        returning t.result, t.attempt, t.spec)
    select coalesce(json_agg(json_build_object('result', taken.result, 'attempt', taken.attempt, 'spec', taken.spec)), '[]'::json)
      into r_reported from taken;
  end if;
  if p_start and r_status = 'pending' then
    update operations set status = 'running', started_at = coalesce(started_at, now()) where id = p_run;
    r_status := 'running';
    r_started := true;
  end if;
  select r.definition, r.inputs into r_definition, r_inputs from runs r where r.id = p_run;
  select coalesce(json_agg(s order by s.position), '[]'::json) into r_steps from run_steps s where s.run_id = p_run;
  return next;
end
$$;

-- shipyard_finish_run(run, outputs, status, error, events...): settle a run whose steps have all finished, unless
-- one of its tasks is still queued or assigned (then nothing changes and it returns false): its outputs, its
-- operation's final status and error, and its final events. Was three statements (hasActiveTasks, finishRun,
-- appendEvents).
create or replace function shipyard_finish_run(p_run text, p_outputs jsonb, p_status text, p_error text, p_types text[], p_payloads jsonb[], p_keys text[])
returns boolean
language plpgsql
set plan_cache_mode = force_generic_plan
as $$
begin
  if exists (select 1 from tasks t where t.operation_id = p_run and t.status in ('queued', 'assigned')) then
    return false;
  end if;
  update runs set outputs = p_outputs where id = p_run;
  update operations set status = p_status, error = p_error, finished_at = now() where id = p_run;
  perform 1 from shipyard_append_events(p_run, p_types, p_payloads, p_keys);
  return true;
end
$$;

-- shipyard_claim_tasks(runner): what claimQueuedTasks did in a transaction of 3 + 3 per task round trips, in one:
-- lock the runner row (claims for one runner are serialised by it), and when it is online with free slots,
-- assign it the oldest queued tasks it may serve (never a cancelled run's main step), skipping rows another claim
-- holds, and mark each one's run step running with its event. No NOTIFY: the caller holds the runner's connection
-- and sends the tasks itself. Returns how many it claimed.
create or replace function shipyard_claim_tasks(p_runner text)
returns int
language plpgsql
set plan_cache_mode = force_generic_plan
as $$
declare
  v_name text;
  v_ws text;
  v_status text;
  v_free int;
  v_claimed int := 0;
  t record;
begin
  select r.name, r.workspace_id, r.status, r.slots - (select count(*) from tasks a where a.runner_id = r.id and a.status = 'assigned')::int
    into v_name, v_ws, v_status, v_free
    from runners r where r.id = p_runner for update;
  if not found or v_status <> 'online' or v_free <= 0 then
    return 0;
  end if;
  for t in
    with picked as (
      select q.id from tasks q where q.status = 'queued' and (v_ws is null or q.workspace_id = v_ws)
        and (q.pinned_runner_id is null or q.pinned_runner_id = p_runner)
        and not exists (select 1 from runs r join run_steps s on s.run_id = r.id and s.step_id = q.step_id
                        where r.id = q.operation_id and r.cancel_requested_at is not null and s.phase = 'main')
      order by q.created_at limit v_free for update skip locked)
    update tasks u set status = 'assigned', runner_id = p_runner, dispatch = u.dispatch + 1, assigned_at = now()
      from picked where u.id = picked.id
      returning u.operation_id, u.step_id, u.attempt, u.dispatch
  loop
    update run_steps set status = 'running', runner_id = p_runner, started_at = coalesce(started_at, now())
      where run_id = t.operation_id and step_id = t.step_id and status not in ('succeeded', 'failed', 'skipped', 'cancelled');
    perform shipyard_append_events(
      t.operation_id,
      array['step'],
      array[jsonb_build_object('stepId', t.step_id, 'status', 'running', 'attempt', t.attempt, 'runner', v_name)],
      array['step:' || t.step_id || ':' || t.attempt || ':running:' || t.dispatch]
    );
    v_claimed := v_claimed + 1;
  end loop;
  return v_claimed;
end
$$;

-- shipyard_enqueue_and_place_task(...): shipyard_enqueue_task (migration 012), which also returns the runner's id
-- and the dispatch when it placed the task, so that a gateway in the same process can send it at once (see
-- src/tasks/handoff.ts); the NOTIFY is still sent, for any other process holding that runner.
create or replace function shipyard_enqueue_and_place_task(
  p_id text, p_op text, p_step text, p_attempt int, p_ws text, p_workflow text, p_spec jsonb, p_pinned text, p_secret_env jsonb
)
returns table (r_created boolean, r_runner text, r_runner_id text, r_dispatch int)
language plpgsql
set plan_cache_mode = force_generic_plan
as $$
declare
  v_runner_id text;
  v_dispatch int;
begin
  r_runner_id := null;
  r_dispatch := null;
  insert into tasks (id, operation_id, step_id, attempt, workspace_id, workflow_id, spec, status, pinned_runner_id, secret_env)
    values (p_id, p_op, p_step, p_attempt, p_ws, p_workflow, p_spec, 'queued', p_pinned, p_secret_env)
    on conflict (id) do nothing;
  r_created := found;
  if not r_created then
    return next;
    return;
  end if;
  select r.id, r.name into v_runner_id, r_runner from runners r
    where r.status = 'online' and (r.workspace_id is null or r.workspace_id = p_ws)
      and coalesce(p_pinned, r.id) = r.id
      and r.slots > (select count(*) from tasks t where t.runner_id = r.id and t.status = 'assigned')
    order by (select count(*) from tasks t where t.runner_id = r.id and t.status = 'assigned'), r.connected_at
    limit 1 for update of r skip locked;
  if v_runner_id is null then
    perform pg_notify('shipyard_queued', p_ws);
    return next;
    return;
  end if;
  update tasks set status = 'assigned', runner_id = v_runner_id, dispatch = dispatch + 1, assigned_at = now()
    where id = p_id and status = 'queued' returning dispatch into v_dispatch;
  if v_dispatch is null then
    r_runner := null;
    return next;
    return;
  end if;
  update run_steps set status = 'running', runner_id = v_runner_id, started_at = coalesce(started_at, now())
    where run_id = p_op and step_id = p_step and status not in ('succeeded', 'failed', 'skipped', 'cancelled');
  perform shipyard_append_events(
    p_op,
    array['step'],
    array[jsonb_build_object('stepId', p_step, 'status', 'running', 'attempt', p_attempt, 'runner', r_runner)],
    array['step:' || p_step || ':' || p_attempt || ':running:' || v_dispatch]
  );
  perform pg_notify('shipyard_dispatch', v_runner_id);
  r_runner_id := v_runner_id;
  r_dispatch := v_dispatch;
  return next;
end
$$;
