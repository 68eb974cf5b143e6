-- shipyard_create_run_and_place(...): a new run that starts at once with one task on a runner (a keyless run whose
-- only first step is a shell step, the common case), in one statement: shipyard_create_run, the run made running,
-- then shipyard_flush_run_and_place_task for its first step. That spares the run's first advance its own
-- transaction (BEGIN, lock, place, COMMIT): nobody can see the run before this statement commits, so there is
-- nothing to lock against (src/runs/first-advance.ts decides when the first advance is that one placement).
create or replace function shipyard_create_run_and_place(
  p_id text, p_workspace text, p_name text, p_source text, p_definition jsonb, p_inputs jsonb, p_key text,
  p_rerun_of text, p_step_ids text[], p_phases text[], p_types text[], p_payloads jsonb[], p_keys text[],
  f_step_ids text[], f_statuses text[], f_outputs jsonb[], f_exit_codes int[], f_errors text[], f_finished bool[],
  f_attempts int[], f_types text[], f_payloads jsonb[], f_keys text[],
  t_id text, t_step text, t_attempt int, t_ws text, t_workflow text, t_spec jsonb, t_pinned text, t_secret_env jsonb
)
returns table (r_created_at timestamptz, r_created boolean, r_runner text, r_runner_id text, r_dispatch int)
language plpgsql
set plan_cache_mode = force_generic_plan
as $$
declare
  v_created timestamptz;
begin
  v_created := shipyard_create_run(p_id, p_workspace, p_name, p_source, p_definition, p_inputs, p_key, p_rerun_of,
    p_step_ids, p_phases, p_types, p_payloads, p_keys);
  update operations set status = 'running', started_at = now() where id = p_id;
  return query select v_created, p.* from shipyard_flush_run_and_place_task(p_id, f_step_ids, f_statuses, f_outputs, f_exit_codes,
    f_errors, f_finished, f_attempts, f_types, f_payloads, f_keys, t_id, t_step, t_attempt, t_ws, t_workflow, t_spec, t_pinned, t_secret_env) p;
end
$$;
