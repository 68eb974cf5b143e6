-- Network for sandboxed steps: off unless a step asks (`network: true`) or its workspace makes it the default;
-- a project's agent stage has it unless the project says otherwise (Claude Code calls Anthropic itself).
alter table workspaces add column step_network boolean not null default false;
alter table projects add column agent_network boolean not null default true;
