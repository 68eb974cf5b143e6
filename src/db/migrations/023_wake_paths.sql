-- Fewer statements per step now that results wake their run (src/runs/wake.ts).
--
-- shipyard_lock_run_and_take(run, task, dispatch, result, start, take): migration 018's, which also takes every
--   reported task of the run when p_take is set without a task to settle (an advance woken by stored results
--   was a lock and then a statement of its own). The five-argument form stays for processes of the previous version.
-- shipyard_enqueue_and_place_task(...): migration 018's, whose dispatch NOTIFY also names the task and dispatch
--   (`<runner> <task>#<dispatch>`), so a gateway that was handed the task in its own process skips re-reading
--   the runner's assigned tasks.

create or replace function shipyard_lock_run_and_take(p_run text, p_task text, p_dispatch int, p_result jsonb, p_start boolean, p_take boolean)
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
  end if;
  if p_task is not null or p_take then
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
  perform pg_notify('shipyard_dispatch', v_runner_id || ' ' || p_id || '#' || v_dispatch);
  r_runner_id := v_runner_id;
  r_dispatch := v_dispatch;
  return next;
end
$$;
