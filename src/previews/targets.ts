// Where a project's builds go live. Every build's output is first published as a version on the built-in host
// (so it has a URL of its own and the preview check has something to load); a deploy target then makes that
// version what an environment shows: the built-in host by promoting it, Cloudflare Pages by deploying the same
// files with `wrangler`, creating the Pages project first when it does not exist (seed 002 stopped at
// "project not found").
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { ShipyardError } from "../domain/errors.ts";
import type { Pool } from "../db/pool.ts";
import type { Logger } from "../logger.ts";
import { projectDeployTarget, type DeployTargetName } from "../projects/store.ts";
import { promoteVersion } from "./service.ts";
import type { Environment } from "./store.ts";
import { projectLabel, type PreviewUrls } from "./urls.ts";

const run = promisify(execFile);

/** What to deploy: a version already published on the built-in host, with its files in `dir`. */
export interface DeployContext {
  workspaceId: string;
  projectId: string;
  dir: string;
  version: number;
  environment: Environment;
}

/** A place a project's environments can live. */
export interface DeployTarget {
  name: DeployTargetName;
  /** Make `ctx.version` what `ctx.environment` shows; returns the environment's URL. */
  deploy(ctx: DeployContext): Promise<{ url: string }>;
}

/** What the targets need. */
export interface TargetDeps {
  pool: Pool;
  log: Logger;
  urls: PreviewUrls;
  /** Decrypts a workspace secret, the one scoped to `environment` before the unscoped one (null when neither exists). */
  getSecret: (workspaceId: string, name: string, environment: Environment) => Promise<string | null>;
  /** The `wrangler` executable (default: `wrangler` on PATH). */
  wrangler?: string;
  /** The environment wrangler runs with (PATH, HOME); the Cloudflare credentials are added to it. */
  env: NodeJS.ProcessEnv;
}

/** The built-in preview host: deploying is promoting. */
export function builtinTarget(deps: Pick<TargetDeps, "pool" | "log" | "urls">): DeployTarget {
  return {
    name: "builtin",
    async deploy(ctx) {
      const view = await promoteVersion(deps, ctx);
      return { url: view.url };
    },
  };
}

/** The Pages project of a Shipyard project (lowercase letters, digits and dashes, as Pages requires). */
export function pagesProjectName(projectId: string): string {
  return `shipyard-${projectLabel(projectId)}`.toLowerCase();
}

/** The URL wrangler printed for a deployment: the branch's alias when it gives one, else the deployment's. */
export function deploymentUrl(output: string): string | null {
  const alias = /alias URL:\s*(https:\/\/\S+)/i.exec(output);
  if (alias?.[1]) return alias[1];
  const any = /https:\/\/[A-Za-z0-9.-]+\.pages\.dev\S*/.exec(output);
  return any?.[0] ?? null;
}

/** True when `wrangler pages project list` shows the project `name` (as a whole word of its table). */
function listed(output: string, name: string): boolean {
  const escaped = name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  return new RegExp(`(^|[^a-z0-9-])${escaped}([^a-z0-9-]|$)`, "m").test(output);
}

/** Cloudflare Pages through `wrangler` (run with execFile, never a shell), with the workspace's Cloudflare secrets. */
export function cloudflarePagesTarget(deps: TargetDeps): DeployTarget {
  const wrangler = deps.wrangler ?? "wrangler";
  return {
    name: "cloudflare-pages",
    async deploy(ctx) {
      const [token, account] = await Promise.all([deps.getSecret(ctx.workspaceId, "CLOUDFLARE_API_TOKEN", ctx.environment), deps.getSecret(ctx.workspaceId, "CLOUDFLARE_ACCOUNT_ID", ctx.environment)]);
      if (!token || !account) {
        throw new ShipyardError("deploy_failed", "Cloudflare Pages needs the workspace secrets CLOUDFLARE_API_TOKEN and CLOUDFLARE_ACCOUNT_ID (shipyard secrets set)", 422);
      }
      const env = { ...deps.env, CLOUDFLARE_API_TOKEN: token, CLOUDFLARE_ACCOUNT_ID: account };
      // What wrangler says goes into errors and logs; the credentials never do.
      const scrub = (text: string) => text.split(token).join("[redacted]").split(account).join("[redacted]");
      const wranglerRun = async (args: string[], timeoutMs: number) => {
        try {
          const { stdout, stderr } = await run(wrangler, args, { env, timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 });
          return `${stdout}\n${stderr}`;
        } catch (err) {
          const e = err as { stderr?: string; stdout?: string; message: string };
          const said = (e.stderr || e.stdout || e.message).trim().split("\n").slice(-5).join(" ");
          throw new ShipyardError("deploy_failed", `wrangler ${args.slice(0, 2).join(" ")} failed: ${scrub(said)}`, 502);
        }
      };
      const name = pagesProjectName(ctx.projectId);
      if (!listed(await wranglerRun(["pages", "project", "list"], 120_000), name)) {
        deps.log.info({ projectId: ctx.projectId, pagesProject: name }, "creating the Cloudflare Pages project");
        await wranglerRun(["pages", "project", "create", name, "--production-branch", "production"], 120_000);
      }
      const output = await wranglerRun(["pages", "deploy", ctx.dir, "--project-name", name, "--branch", ctx.environment], 600_000);
      const url = deploymentUrl(output);
      if (!url) throw new ShipyardError("deploy_failed", `wrangler pages deploy printed no URL: ${scrub(output.trim().split("\n").slice(-3).join(" "))}`, 502);
      deps.log.info({ projectId: ctx.projectId, pagesProject: name, environment: ctx.environment, url }, "deployed to Cloudflare Pages");
      return { url };
    },
  };
}

/** The target a project chose (its `deploy_target` setting; builtin by default). 404 for a project of another workspace. */
export async function deployTargetFor(deps: TargetDeps, workspaceId: string, projectId: string): Promise<DeployTarget> {
  const name = await projectDeployTarget(deps.pool, workspaceId, projectId);
  return name === "cloudflare-pages" ? cloudflarePagesTarget(deps) : builtinTarget(deps);
}
