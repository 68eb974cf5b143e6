-- A runner's result is applied to its run by the server that receives it (src/runs/arriving-result.ts), and an
-- advance writes what it decided with the statement that places a task or finishes the run.
--
-- shipyard_settle_run_result(run, task, dispatch, result, runner, workspace): shipyard_lock_run_and_take settling
--   one task's result, and whether a task waits that the reporting runner (now with a free slot) could claim,
--   which the report statement told before (shipyard_lock_run_and_take's snapshot: the claim that follows decides).
-- shipyard_flush_run_and_place_task(...): shipyard_flush_run, then shipyard_enqueue_and_place_task, in one round trip.
-- shipyard_flush_and_finish_run(...): shipyard_flush_run, then shipyard_finish_run, in one round trip.
-- shipyard_claim_and_list_tasks(runner), and a NOTIFY when webhook endpoints change: below.

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

-- shipyard_claim_and_list_tasks(runner): shipyard_claim_tasks, and when it claimed any, every task assigned to the
-- runner (what the gateway sends it), in one round trip instead of a claim and then a read.
create or replace function shipyard_claim_and_list_tasks(p_runner text)
returns setof tasks
language plpgsql
set plan_cache_mode = force_generic_plan
as $$
begin
  if shipyard_claim_tasks(p_runner) > 0 then
    return query select * from tasks t where t.runner_id = p_runner and t.status = 'assigned' order by t.assigned_at;
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
