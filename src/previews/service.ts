// Publishing and promoting preview versions. A version's files are copied under
// <dataDir>/previews/<projectId>/<version>/ and never change again; environments only point at versions, so a
// rollback (or going forward again) is one row update, never a rebuild.
import { randomBytes } from "node:crypto";
import { promises as fs } from "node:fs";
import path from "node:path";
import { inTransaction, type Pool } from "../db/pool.ts";
import { notFound, ShipyardError } from "../domain/errors.ts";
import type { Logger } from "../logger.ts";
import { projectDeployTarget, projectExists, setProjectDeployTarget, type DeployTargetName } from "../projects/store.ts";
import {
  getVersion, insertVersion, listEnvironments, listVersions, lockProjectPreviews, nextVersionNumber, setEnvironment, versionOfBuild,
  ENVIRONMENTS, type Environment, type PreviewVersion,
} from "./store.ts";
import type { PreviewUrls } from "./urls.ts";

export type { Environment, PreviewVersion } from "./store.ts";

/** What publishing and promoting need. */
export interface PreviewDeps {
  pool: Pool;
  /** Shipyard's data dir; versions live under its `previews/`. */
  dataDir: string;
  log: Logger;
  /** The preview host's URLs. */
  urls: PreviewUrls;
}

/** A version with its own URL. */
export type PublishedVersion = PreviewVersion & { url: string };

/** An environment of a project: the version it shows (null: none yet) and its stable URL. */
export interface EnvironmentView {
  environment: Environment;
  version: number | null;
  url: string;
  updatedAt: string | null;
}

/** The directory of a project's versions. */
export function previewsDir(dataDir: string, projectId: string): string {
  return path.join(dataDir, "previews", projectId);
}

/** The directory holding one version's files. */
export function versionDir(dataDir: string, projectId: string, version: number): string {
  return path.join(previewsDir(dataDir, projectId), String(version));
}

async function assertProject(deps: Pick<PreviewDeps, "pool">, workspaceId: string, projectId: string): Promise<void> {
  if (!(await projectExists(deps.pool, workspaceId, projectId))) throw notFound("project", projectId);
}

/**
 * Copy the regular files and directories of `from` into `to`. Links are not published: one pointing outside the
 * build's output would otherwise serve whatever it points at.
 */
async function copyTree(from: string, to: string): Promise<{ files: number; bytes: number; skipped: number }> {
  await fs.mkdir(to, { recursive: true });
  const counts = { files: 0, bytes: 0, skipped: 0 };
  for (const entry of await fs.readdir(from, { withFileTypes: true })) {
    const src = path.join(from, entry.name);
    const dst = path.join(to, entry.name);
    if (entry.isDirectory()) {
      const sub = await copyTree(src, dst);
      counts.files += sub.files;
      counts.bytes += sub.bytes;
      counts.skipped += sub.skipped;
    } else if (entry.isFile()) {
      await fs.copyFile(src, dst);
      counts.files += 1;
      counts.bytes += (await fs.stat(dst)).size;
    } else {
      counts.skipped += 1;
    }
  }
  return counts;
}

/**
 * Publish `dir` (static files on this host) as the project's next version; idempotent per buildId (a re-run with
 * the same buildId returns the version made the first time, files not copied twice). Moves no environment.
 */
export async function publishVersion(
  deps: PreviewDeps,
  input: { workspaceId: string; projectId: string; dir: string; commit: string | null; buildId: string | null },
): Promise<PublishedVersion> {
  const { projectId, buildId } = input;
  await assertProject(deps, input.workspaceId, projectId);
  const withUrl = (v: PreviewVersion): PublishedVersion => ({ ...v, url: deps.urls.versionUrl(projectId, v.version) });
  if (buildId) {
    const earlier = await versionOfBuild(deps.pool, projectId, buildId);
    if (earlier) return withUrl(earlier);
  }
  const stat = await fs.stat(input.dir).catch(() => null);
  if (!stat?.isDirectory()) throw new ShipyardError("nothing_to_publish", `${input.dir} is not a directory`, 422);
  const root = previewsDir(deps.dataDir, projectId);
  const staging = path.join(root, `.staging-${randomBytes(8).toString("hex")}`);
  try {
    const counts = await copyTree(input.dir, staging);
    if (counts.files === 0) throw new ShipyardError("nothing_to_publish", `${input.dir} holds no files to publish`, 422);
    if (counts.skipped > 0) deps.log.warn({ projectId, skipped: counts.skipped }, "links and special files in a build's output are not published");
    const published = await inTransaction(deps.pool, async (client) => {
      await lockProjectPreviews(client, projectId);
      // Another publish of the same build may have won the race while the files were copied.
      const raced = buildId ? await versionOfBuild(client, projectId, buildId) : null;
      if (raced) return raced;
      const version = await nextVersionNumber(client, projectId);
      const target = versionDir(deps.dataDir, projectId, version);
      // A directory without a row is what a crash between the rename and the commit leaves: nothing shows it.
      await fs.rm(target, { recursive: true, force: true });
      await fs.rename(staging, target);
      return insertVersion(client, { projectId, version, commit: input.commit, buildId, fileCount: counts.files, totalBytes: counts.bytes });
    });
    deps.log.info({ projectId, version: published.version, buildId }, "preview version published");
    return withUrl(published);
  } finally {
    await fs.rm(staging, { recursive: true, force: true });
  }
}

/** Point an environment at a version: a rollback or a step forward at once, with no rebuild. 404 for an unknown project or version. */
export async function promoteVersion(
  deps: Pick<PreviewDeps, "pool" | "log" | "urls">,
  input: { workspaceId: string; projectId: string; version: number; environment: Environment },
): Promise<EnvironmentView> {
  const { projectId, version, environment } = input;
  await assertProject(deps, input.workspaceId, projectId);
  if (!(await getVersion(deps.pool, projectId, version))) throw notFound("preview version", `${projectId} v${version}`);
  const row = await setEnvironment(deps.pool, projectId, environment, version);
  deps.log.info({ projectId, version, environment }, "preview version promoted");
  return { environment, version: row.version, url: deps.urls.environmentUrl(projectId, environment), updatedAt: row.updatedAt };
}

/** A project's versions (newest first) and its environments, with their URLs. */
export async function listPreviews(
  deps: Pick<PreviewDeps, "pool" | "urls">,
  input: { workspaceId: string; projectId: string },
): Promise<{ versions: PublishedVersion[]; environments: Record<Environment, EnvironmentView>; deployTarget: DeployTargetName }> {
  const { projectId } = input;
  const deployTarget = await projectDeployTarget(deps.pool, input.workspaceId, projectId);
  const [versions, rows] = await Promise.all([listVersions(deps.pool, projectId), listEnvironments(deps.pool, projectId)]);
  const environments = Object.fromEntries(
    ENVIRONMENTS.map((environment) => {
      const row = rows.find((r) => r.environment === environment);
      return [environment, { environment, version: row?.version ?? null, url: deps.urls.environmentUrl(projectId, environment), updatedAt: row?.updatedAt ?? null }];
    }),
  ) as Record<Environment, EnvironmentView>;
  return { versions: versions.map((v) => ({ ...v, url: deps.urls.versionUrl(projectId, v.version) })), environments, deployTarget };
}

/** Choose where a project's builds go live (404 for a project of another workspace). */
export async function chooseDeployTarget(deps: Pick<PreviewDeps, "pool">, input: { workspaceId: string; projectId: string; target: DeployTargetName }): Promise<{ deployTarget: DeployTargetName }> {
  await setProjectDeployTarget(deps.pool, input.workspaceId, input.projectId, input.target);
  return { deployTarget: input.target };
}

