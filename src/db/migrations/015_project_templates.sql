-- Projects created from a template remember it; `managed_repo`: the repository is Shipyard's own bare
-- repository under its data dir (created with the project), which the local-repository rule does not refuse.
alter table projects add column template text;
alter table projects add column managed_repo boolean not null default false;
