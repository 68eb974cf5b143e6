// The preview_versions and project_environments tables: the versions a project published and which one each of
// its environments shows.
import type { PoolClient, Queryable } from "../db/pool.ts";

/** The environments every project has: builds deploy to staging, publishing moves a version to production. */
export const ENVIRONMENTS = ["staging", "production"] as const;
export type Environment = (typeof ENVIRONMENTS)[number];

/** One published version of a project's preview. */
export interface PreviewVersion {
  projectId: string;
  version: number;
  commit: string | null;
  buildId: string | null;
  fileCount: number;
  totalBytes: number;
  createdAt: string;
}

/** Which version an environment shows. */
export interface EnvironmentRow {
  projectId: string;
  environment: Environment;
  version: number;
  updatedAt: string;
}

interface VersionRow {
  project_id: string;
  version: number;
  commit_sha: string | null;
  build_id: string | null;
  file_count: number;
  total_bytes: string;
  created_at: Date;
}

interface EnvRow {
  project_id: string;
  environment: Environment;
  version: number;
  updated_at: Date;
}

const toVersion = (r: VersionRow): PreviewVersion => ({
  projectId: r.project_id,
  version: r.version,
  commit: r.commit_sha,
  buildId: r.build_id,
  fileCount: r.file_count,
  totalBytes: Number(r.total_bytes),
  createdAt: r.created_at.toISOString(),
});

const toEnv = (r: EnvRow): EnvironmentRow => ({ projectId: r.project_id, environment: r.environment, version: r.version, updatedAt: r.updated_at.toISOString() });

/** Serialise publishing for one project until the transaction ends (version numbers are handed out in order). */
export async function lockProjectPreviews(client: PoolClient, projectId: string): Promise<void> {
  await client.query("select pg_advisory_xact_lock(hashtextextended('shipyard.previews:' || $1, 0))", [projectId]);
}

/** The version a build published, if it did. */
export async function versionOfBuild(db: Queryable, projectId: string, buildId: string): Promise<PreviewVersion | null> {
  const res = await db.query<VersionRow>("select * from preview_versions where project_id = $1 and build_id = $2", [projectId, buildId]);
  return res.rows[0] ? toVersion(res.rows[0]) : null;
}

/** The number the project's next version gets (call under lockProjectPreviews). */
export async function nextVersionNumber(db: Queryable, projectId: string): Promise<number> {
  const res = await db.query<{ n: number }>("select coalesce(max(version), 0)::int + 1 as n from preview_versions where project_id = $1", [projectId]);
  return res.rows[0]?.n ?? 1;
}

/** Record a version whose files are in place. */
export async function insertVersion(db: Queryable, v: Omit<PreviewVersion, "createdAt">): Promise<PreviewVersion> {
  const res = await db.query<VersionRow>(
    `insert into preview_versions (project_id, version, commit_sha, build_id, file_count, total_bytes)
     values ($1, $2, $3, $4, $5, $6) returning *`,
    [v.projectId, v.version, v.commit, v.buildId, v.fileCount, v.totalBytes],
  );
  return toVersion(res.rows[0] as VersionRow);
}

/** One version of a project, or null. */
export async function getVersion(db: Queryable, projectId: string, version: number): Promise<PreviewVersion | null> {
  const res = await db.query<VersionRow>("select * from preview_versions where project_id = $1 and version = $2", [projectId, version]);
  return res.rows[0] ? toVersion(res.rows[0]) : null;
}

/** A project's versions, newest first. */
export async function listVersions(db: Queryable, projectId: string): Promise<PreviewVersion[]> {
  const res = await db.query<VersionRow>("select * from preview_versions where project_id = $1 order by version desc", [projectId]);
  return res.rows.map(toVersion);
}

/** Point an environment at a version (which must exist: a foreign key says so). */
export async function setEnvironment(db: Queryable, projectId: string, environment: Environment, version: number): Promise<EnvironmentRow> {
  const res = await db.query<EnvRow>(
    `insert into project_environments (project_id, environment, version) values ($1, $2, $3)
     on conflict (project_id, environment) do update set version = excluded.version, updated_at = now() returning *`,
    [projectId, environment, version],
  );
  return toEnv(res.rows[0] as EnvRow);
}

/** The environments of a project that show a version. */
export async function listEnvironments(db: Queryable, projectId: string): Promise<EnvironmentRow[]> {
  const res = await db.query<EnvRow>("select * from project_environments where project_id = $1 order by environment", [projectId]);
  return res.rows.map(toEnv);
}

/**
 * What the preview host shows for a project's environment: null when there is no such project, else the
 * version the environment shows (null before one was promoted to it).
 */
export async function environmentTarget(db: Queryable, projectId: string, environment: Environment): Promise<{ version: number | null } | null> {
  const res = await db.query<{ version: number | null }>(
    `select e.version from projects p left join project_environments e on e.project_id = p.id and e.environment = $2 where p.id = $1`,
    [projectId, environment],
  );
  const row = res.rows[0];
  return row ? { version: row.version } : null;
}
