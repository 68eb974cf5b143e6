-- Agent usage (src/agents): calls are attributed to the task (one attempt of a step) that made them, so a step's
-- own budget can be checked; a coding agent that reports its usage for a whole run (Claude Code) is one
-- 'agent' row, recorded once per attempt through its dedupe key.
alter table model_usage add column task_id text;
alter table model_usage add column dedupe_key text;
create index model_usage_task on model_usage(task_id) where task_id is not null;
create unique index model_usage_dedupe on model_usage(dedupe_key) where dedupe_key is not null;
alter table model_usage drop constraint model_usage_call_kind_check;
alter table model_usage add constraint model_usage_call_kind_check check (call_kind in ('generate', 'stream', 'agent'));
