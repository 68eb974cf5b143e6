-- A runner's result is applied to its run by the server that receives it (src/runs/arriving-result.ts), and an
-- advance writes what it decided with the statement that places a task or finishes the run.
--
-- shipyard_settle_run_result(run, task, dispatch, result, runner, workspace): shipyard_lock_run_and_take settling
--   one task's result, and whether a task waits that the reporting runner (now with a free slot) could claim,
--   which the report statement told before (shipyard_lock_run_and_take's snapshot: the claim that follows decides).
-- shipyard_flush_run_and_place_task(...): shipyard_flush_run, then shipyard_enqueue_and_place_task, in one round trip.
-- shipyard_flush_and_finish_run(...): shipyard_flush_run, then shipyard_finish_run, in one round trip.
-- shipyard_claim_tasks(runner, done), shipyard_claim_and_list_tasks(runner, done), and a NOTIFY when webhook
--   endpoints change: below.

create or replace function shipyard_settle_run_result(p_run text, p_task text, p_dispatch int, p_result jsonb, p_runner text, p_ws text)
returns table (r_workspace_id text, r_status text, r_definition jsonb, r_inputs jsonb, r_cancel_requested_at timestamptz, r_steps json, r_task json,
  r_reported json, r_started boolean, r_claimable boolean)
language plpgsql
set plan_cache_mode = force_generic_plan
as $$
begin
  return query
    select l.*, exists (select 1 from tasks q where q.status = 'queued' and (p_ws is null or q.workspace_id = p_ws)
                          and (q.pinned_runner_id is null or q.pinned_runner_id = p_runner))
    from shipyard_lock_run_and_take(p_run, p_task, p_dispatch, p_result, false, false) l;
end
$$;

create or replace function shipyard_flush_run_and_place_task(
  p_run text, p_step_ids text[], p_statuses text[], p_outputs jsonb[], p_exit_codes int[], p_errors text[], p_finished bool[],
  p_attempts int[], p_types text[], p_payloads jsonb[], p_keys text[],
  p_id text, p_step text, p_attempt int, p_ws text, p_workflow text, p_spec jsonb, p_pinned text, p_secret_env jsonb
)
returns table (r_created boolean, r_runner text, r_runner_id text, r_dispatch int)
language plpgsql
set plan_cache_mode = force_generic_plan
as $$
begin
  perform 1 from shipyard_flush_run(p_run, p_step_ids, p_statuses, p_outputs, p_exit_codes, p_errors, p_finished, p_attempts, p_types, p_payloads, p_keys);
  return query select * from shipyard_enqueue_and_place_task(p_id, p_run, p_step, p_attempt, p_ws, p_workflow, p_spec, p_pinned, p_secret_env);
end
$$;

create or replace function shipyard_flush_and_finish_run(
  p_run text, p_step_ids text[], p_statuses text[], p_outputs jsonb[], p_exit_codes int[], p_errors text[], p_finished bool[],
  p_attempts int[], p_types text[], p_payloads jsonb[], p_keys text[],
  p_run_outputs jsonb, p_status text, p_error text, p_final_types text[], p_final_payloads jsonb[], p_final_keys text[]
)
returns boolean
language plpgsql
set plan_cache_mode = force_generic_plan
as $$
begin
  perform 1 from shipyard_flush_run(p_run, p_step_ids, p_statuses, p_outputs, p_exit_codes, p_errors, p_finished, p_attempts, p_types, p_payloads, p_keys);
  return shipyard_finish_run(p_run, p_run_outputs, p_status, p_error, p_final_types, p_final_payloads, p_final_keys);
end
$$;

-- shipyard_claim_tasks(runner, done): migration 018's claim, counting the runner's busy slots without the tasks in
-- `done`, whose results the runner has sent (it runs them no more) while their advance has yet to settle them:
-- the next waiting task is claimed while the previous one's result is being applied, not after. The one-argument
-- form is this with nothing done.
create or replace function shipyard_claim_tasks(p_runner text, p_done text[])
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
  select r.name, r.workspace_id, r.status, r.slots - (select count(*) from tasks a where a.runner_id = r.id and a.status = 'assigned' and a.id <> all(p_done))::int
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

create or replace function shipyard_claim_tasks(p_runner text)
returns int
language sql
as $$ select shipyard_claim_tasks(p_runner, '{}'::text[]) $$;

-- shipyard_claim_and_list_tasks(runner, done): shipyard_claim_tasks, and when it claimed any, every task assigned
-- to the runner (what the gateway sends it), in one round trip instead of a claim and then a read.
create or replace function shipyard_claim_and_list_tasks(p_runner text, p_done text[])
returns setof tasks
language plpgsql
set plan_cache_mode = force_generic_plan
as $$
begin
  if shipyard_claim_tasks(p_runner, p_done) > 0 then
    return query select * from tasks t where t.runner_id = p_runner and t.status = 'assigned' and t.id <> all(p_done) order by t.assigned_at;
  end if;
end
$$;

-- Every change to which webhook endpoints exist or are disabled NOTIFYs shipyard_webhook_endpoints, so a process
-- knows whether any is live without asking at every finished operation (src/webhooks/live-endpoints.ts).
create function shipyard_notify_webhook_endpoints() returns trigger language plpgsql as $$
begin
  perform pg_notify('shipyard_webhook_endpoints', '');
  return null;
end $$;

create trigger webhook_endpoints_changed after insert or delete or update of disabled_at on webhook_endpoints
  for each statement execute function shipyard_notify_webhook_endpoints();
