// The publish sequence: validate → deploy → verify → promote (built-in host) or record (Cloudflare Pages). It is
// written against a step runner, so the DBOS workflow checkpoints each step (src/publishes/workflow.ts) and tests
// run the same sequence directly on a database. Production moves only after the verification passed: on the
// built-in host a deploy would be the promote itself, so there the version's own URL (its own origin, the same
// files) is verified first and production is pointed at it after.
import { promises as fs } from "node:fs";
import path from "node:path";
import { inTransaction, type Pool } from "../db/pool.ts";
import { ensureError } from "../domain/errors.ts";
import type { FinalStatus } from "../domain/statuses.ts";
import type { EventPayload, PublishPhase } from "../events/catalogue.ts";
import { appendEvents } from "../events/store.ts";
import type { Logger } from "../logger.ts";
import { finishOperation, lockOperation, markOperationRunning } from "../operations/store.ts";
import type { PreviewCheck } from "../previews/check.ts";
import { versionDir } from "../previews/service.ts";
import { getVersion, setEnvironment, type Environment } from "../previews/store.ts";
import { cloudflarePagesTarget, type TargetDeps } from "../previews/targets.ts";
import type { PreviewUrls } from "../previews/urls.ts";
import type { DeployTargetName } from "../projects/store.ts";
import { loadPublish, recordPublish } from "./store.ts";

/** Runs one named, checkpointed step (DBOS.runStep in the workflow; a plain call in direct tests). */
export type StepRunner = <T>(name: string, fn: () => Promise<T>) => Promise<T>;

/** What the sequence needs. */
export interface PublishDeps {
  pool: Pool;
  log: Logger;
  dataDir: string;
  urls: PreviewUrls;
  /** The Cloudflare target's needs (its getSecret is asked with the environment deployed to). */
  targets: Omit<TargetDeps, "pool" | "log" | "urls">;
  /** The preview check (checkPreview in Chromium). */
  check: (url: string, opts: { screenshotPath: string }) => Promise<PreviewCheck>;
}

/** A failure the user should read. */
export class PublishFailed extends Error {}

/** The publish was cancelled before it moved the target environment. */
export class PublishCancelled extends Error {}

/** What the sequence needs of its publish (checkpointed once, at its start). */
export interface PublishContext {
  publishId: string;
  workspaceId: string;
  projectId: string;
  from: Environment;
  to: Environment;
  version: number;
  target: DeployTargetName;
}

/** The publish; null when it is gone or already finished. */
export async function loadPublishContext(pool: Pool, publishId: string): Promise<PublishContext | null> {
  const p = await loadPublish(pool, publishId);
  if (!p || !["pending", "running"].includes(p.status)) return null;
  return { publishId, workspaceId: p.workspace_id, projectId: p.project_id, from: p.from_environment, to: p.to_environment, version: p.version, target: p.deploy_target };
}

/** Run the publish `publishId` to its end; its final status ("stale" when it had already ended). */
export async function runPublish(deps: PublishDeps, step: StepRunner, publishId: string): Promise<FinalStatus | "stale"> {
  const ctx = await step("load", () => loadPublishContext(deps.pool, publishId));
  if (!ctx) return "stale";
  let phase: PublishPhase | null = null;
  const enter = async (p: PublishPhase) => {
    phase = p;
    await phaseEvent(deps, step, ctx, p, "in_progress");
  };
  try {
    await step("running", () =>
      inTransaction(deps.pool, async (c) => {
        await markOperationRunning(c, ctx.publishId);
        await appendEvents(c, ctx.publishId, [{ type: "status", payload: { status: "running" }, dedupeKey: "status:running" }]);
      }),
    );
    await enter("validate");
    const dir = await step("validate", () => validatePublish(deps, ctx));
    await phaseEvent(deps, step, ctx, "validate", "complete", { message: `${ctx.from} shows version ${ctx.version}` });

    await enter("deploy");
    let url: string;
    if (ctx.target === "builtin") {
      url = deps.urls.versionUrl(ctx.projectId, ctx.version);
      await phaseEvent(deps, step, ctx, "deploy", "complete", { message: `version ${ctx.version} is on the built-in host at ${url}; ${ctx.to} moves once it is verified there` });
    } else {
      const target = cloudflarePagesTarget({ ...deps.targets, pool: deps.pool, log: deps.log, urls: deps.urls });
      url = (await step("deploy", () => target.deploy({ workspaceId: ctx.workspaceId, projectId: ctx.projectId, dir, version: ctx.version, environment: ctx.to }))).url;
      await phaseEvent(deps, step, ctx, "deploy", "complete", { message: `deployed to Cloudflare Pages: ${url}` });
    }

    await enter("verify");
    const verified = await step("verify", () => verifyUrl(deps, ctx, url));
    if (!verified.ok) throw new PublishFailed(`the preview check of version ${ctx.version} at ${url} failed, so ${ctx.to} was not changed:\n${verified.problems.join("\n")}`);
    await phaseEvent(deps, step, ctx, "verify", "complete", { message: "the page loads without errors" });

    const last: PublishPhase = ctx.target === "builtin" ? "promote" : "record";
    await enter(last);
    const live = await step(last, () => pointEnvironment(deps, ctx, ctx.target === "builtin" ? deps.urls.environmentUrl(ctx.projectId, ctx.to) : url));
    await phaseEvent(deps, step, ctx, last, "complete", { message: `${ctx.to} shows version ${ctx.version}` });
    await finishPublish(deps, step, ctx, "succeeded", null, live);
    return "succeeded";
  } catch (err) {
    const cancelled = err instanceof PublishCancelled;
    const message = ensureError(err).message;
    if (phase && !cancelled) await phaseEvent(deps, step, ctx, phase, "failed", { error: message });
    if (!cancelled) await finishPublish(deps, step, ctx, "failed", message, null);
    return cancelled ? "cancelled" : "failed";
  }
}

/** The environments differ and the version and its files are there; the directory holding them. */
async function validatePublish(deps: PublishDeps, ctx: PublishContext): Promise<string> {
  if (ctx.from === ctx.to) throw new PublishFailed(`cannot publish ${ctx.from} to itself`);
  if (!(await getVersion(deps.pool, ctx.projectId, ctx.version))) throw new PublishFailed(`version ${ctx.version} of the project no longer exists`);
  const dir = versionDir(deps.dataDir, ctx.projectId, ctx.version);
  const files = await fs.readdir(dir).catch(() => []);
  if (files.length === 0) throw new PublishFailed(`the files of version ${ctx.version} are missing from ${dir}`);
  return dir;
}

/** The preview check of `url`, its screenshot stored under the data dir and announced as an `artifact` event. */
async function verifyUrl(deps: PublishDeps, ctx: PublishContext, url: string): Promise<{ ok: boolean; problems: string[] }> {
  const screenshot = path.join("publishes", ctx.publishId, "verify.png");
  const result = await deps.check(url, { screenshotPath: path.join(deps.dataDir, screenshot) });
  const shot = await fs.stat(path.join(deps.dataDir, screenshot)).then(() => true, () => false);
  if (shot) {
    await inTransaction(deps.pool, async (c) => {
      await recordPublish(c, ctx.publishId, { screenshot });
      await appendEvents(c, ctx.publishId, [
        { type: "artifact", payload: { name: "verify.png", contentType: "image/png", url: `/api/v1/publishes/${ctx.publishId}/screenshot`, of: "preview" }, dedupeKey: "artifact:verify" },
      ]);
    });
  }
  return { ok: result.ok, problems: result.problems };
}

/**
 * Point the target environment at the version, unless the publish was cancelled meanwhile: the operation row is
 * locked first, so a cancel and the promote never both happen.
 */
async function pointEnvironment(deps: PublishDeps, ctx: PublishContext, url: string): Promise<{ url: string; version: number }> {
  return inTransaction(deps.pool, async (c) => {
    const status = await lockOperation(c, ctx.publishId);
    if (status !== "running") throw new PublishCancelled(`publish ${ctx.publishId} is ${status ?? "gone"}`);
    await setEnvironment(c, ctx.projectId, ctx.to, ctx.version);
    await recordPublish(c, ctx.publishId, { url });
    deps.log.info({ projectId: ctx.projectId, environment: ctx.to, version: ctx.version, publishId: ctx.publishId }, "version published");
    return { url, version: ctx.version };
  });
}

/** A `phase` event (and the publish's current phase), once per phase and status. */
function phaseEvent(deps: PublishDeps, step: StepRunner, ctx: PublishContext, phase: PublishPhase, status: "in_progress" | "complete" | "failed", detail: Omit<EventPayload<"phase">, "phase" | "status"> = {}) {
  const key = `phase:${phase}:${status}`;
  return step(key, () =>
    inTransaction(deps.pool, async (c) => {
      if (status === "in_progress") await recordPublish(c, ctx.publishId, { phase });
      await appendEvents(c, ctx.publishId, [{ type: "phase", payload: { phase, status, ...detail }, dedupeKey: key }]);
    }),
  );
}

/** End the publish: its operation settled, a final `status` and the `complete` event (idempotent; a cancelled one is left as it is). */
function finishPublish(deps: PublishDeps, step: StepRunner, ctx: PublishContext, status: FinalStatus, error: string | null, live: { url: string; version: number } | null) {
  return step(`finish:${status}`, () =>
    inTransaction(deps.pool, async (c) => {
      const now = await lockOperation(c, ctx.publishId);
      if (now !== "pending" && now !== "running") return;
      await finishOperation(c, ctx.publishId, status, error);
      await appendEvents(c, ctx.publishId, [
        { type: "status", payload: { status }, dedupeKey: `status:${status}` },
        { type: "complete", payload: { status, error, previewUrl: live?.url ?? null, version: live?.version ?? ctx.version }, dedupeKey: "complete" },
      ]);
    }),
  );
}
