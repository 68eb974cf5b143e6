-- Default models (`provider:model`): a workspace's, used by llm and agent steps and agent jobs that name none,
-- and a project's, which wins over the workspace's for that project's jobs.
alter table workspaces add column default_model text;
alter table projects add column default_model text;
