-- shipyard_enqueue_task(...): create a task (idempotent) and, when it was created now, give it to the least busy
-- online runner with a free slot (its pinned runner, if any) in the same round trip: assign it, mark its run
-- step running, append the step's `running` event and NOTIFY the runner's server; with no runner free, NOTIFY
-- that a task of the workspace waits. This was five to six round trips per step (insert, lock a runner,
-- assign, mark the step, append the event, notify); the statements and their order are the same as before
-- (see src/tasks/dispatch.ts), so are the locks: the runner row FOR UPDATE SKIP LOCKED, then the task row.
-- Returns whether the task was created, and the runner's name when it was placed.
create or replace function shipyard_enqueue_task(
  p_id text, p_op text, p_step text, p_attempt int, p_ws text, p_workflow text, p_spec jsonb, p_pinned text, p_secret_env jsonb
)
returns table (r_created boolean, r_runner text)
language plpgsql
set plan_cache_mode = force_generic_plan
as $$
declare
  v_runner_id text;
  v_dispatch int;
begin
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
  return next;
end
$$;
