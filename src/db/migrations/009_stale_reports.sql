-- shipyard_lock_run, as in 003, but for a finished run, and for a stale or duplicate task report (r_task null), it
-- returns at once, without the run's definition and steps (r_steps null): a wide run receives one report per task, many of them already applied by an
-- earlier advance (which takes every reported task of the run at once), and loading a few thousand steps for
-- each would hold up everything behind them, a cancel included.
create or replace function shipyard_lock_run(p_run text, p_task text default null, p_dispatch int default null, p_result jsonb default null)
returns table (r_workspace_id text, r_status text, r_definition jsonb, r_inputs jsonb, r_cancel_requested_at timestamptz, r_steps json, r_task json)
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
  select r.definition, r.inputs into r_definition, r_inputs from runs r where r.id = p_run;
  select coalesce(json_agg(s order by s.position), '[]'::json) into r_steps from run_steps s where s.run_id = p_run;
  return next;
end
$$;

-- Every advance asks what of its run is still active (queued, assigned, reported): without an index that was a
-- scan of every task ever run.
create index tasks_active_by_operation on tasks(operation_id) where status in ('queued', 'assigned', 'reported');
