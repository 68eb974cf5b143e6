// The HTTP app over a fresh migrated database, called in memory with `app.request()`: for route tests that need
// no engine, runner or socket.
import os from "node:os";
import { randomBytes } from "node:crypto";
import { mkdtempSync } from "node:fs";
import { rm } from "node:fs/promises";
import path from "node:path";
import { freshDatabase } from "./database.ts";
import { RecordingWorkflows } from "./workflows.ts";
import { migrate } from "../../src/db/migrate.ts";
import { createPool, type Pool } from "../../src/db/pool.ts";
import { createLogger } from "../../src/logger.ts";
import { SecretBox } from "../../src/secrets/box.ts";
import { createSecretStore, type SecretStore } from "../../src/secrets/store.ts";
import { createApp } from "../../src/server/app.ts";
import { StepApiTokens } from "../../src/tokens/step-tokens.ts";
import { createWorkspace } from "../../src/server/auth.ts";
import { Metrics } from "../../src/server/metrics.ts";
import { TaskTokens } from "../../src/server/task-tokens.ts";
import { loadConfig } from "../../src/config.ts";
import { createOutboundClient } from "../../src/net/outbound-client.ts";
import type { UrlPolicy } from "../../src/net/url-policy.ts";
import { previewUrls } from "../../src/previews/urls.ts";
import { loadCatalogue } from "../../src/projects/templates.ts";

export interface InMemoryApp {
  pool: Pool;
  secrets: SecretStore;
  taskTokens: TaskTokens;
  /** Mints the short-lived tokens of http steps the app accepts. */
  stepTokens: StepApiTokens;
  /** What the routes started, sent and cancelled (there is no engine). */
  workflows: RecordingWorkflows;
  workspaceId: string;
  token: string;
  /** The data dir previews and uploaded artifacts go to. */
  dataDir: string;
  /** Where projects made from templates keep their repositories. */
  reposDir: string;
  /** A request to `/api/v1<route>` with the workspace's token; a non-string body is sent as JSON. */
  api(method: string, route: string, body?: unknown, headers?: Record<string, string>): Promise<{ status: number; body: any; headers: Headers }>;
  /** A request to any path of the app, as given. */
  request(path: string, init?: RequestInit): Promise<Response>;
  /** The app's fetch handler, to serve it on a socket for a client that needs one (the CLI). */
  fetch: (request: Request) => Response | Promise<Response>;
  close(): Promise<void>;
}

/** Build the app on a fresh database with one workspace and its token. */
/** `urls`: the outbound URL rules (default: the server's defaults, no private addresses). */
export async function startInMemoryApp(prefix = "app", opts: { maxArtifactBytes?: number; urls?: Partial<UrlPolicy>; webDir?: string } = {}): Promise<InMemoryApp> {
  const pool = createPool(await freshDatabase(prefix, { migrated: true }), 4);
  await migrate(pool);
  const secretKey = randomBytes(32);
  const secrets = createSecretStore(pool, new SecretBox(secretKey));
  const taskTokens = new TaskTokens(secretKey);
  const stepTokens = new StepApiTokens(secretKey);
  const outbound = createOutboundClient({ ...loadConfig({}).urls, ...opts.urls });
  const workflows = new RecordingWorkflows();
  const dataDir = mkdtempSync(path.join(os.tmpdir(), `shipyard-${prefix}-`));
  const previews = { urls: previewUrls({ baseDomain: "localhost", port: 7421 }), dataDir, maxArtifactBytes: opts.maxArtifactBytes ?? 100 * 1024 * 1024 };
  const reposDir = path.join(dataDir, "repos");
  const templates = { catalogue: loadCatalogue(), reposDir };
  const app = createApp({ pool, workflows, hub: null, log: createLogger("silent"), metrics: new Metrics(pool), secrets, taskTokens, stepTokens, outbound, heartbeatMs: 15_000, isReady: () => true, previews, templates, webDir: opts.webDir });
  const ws = await createWorkspace(pool, `${prefix}-${randomBytes(3).toString("hex")}`);
  const request = async (path: string, init?: RequestInit) => app.request(path, init);
  return {
    pool,
    secrets,
    taskTokens,
    stepTokens,
    workflows,
    workspaceId: ws.id,
    token: ws.token,
    dataDir,
    reposDir,
    request,
    fetch: (req) => app.fetch(req),
    async api(method, route, body, headers = {}) {
      const res = await request(`/api/v1${route}`, {
        method,
        headers: { authorization: `Bearer ${ws.token}`, ...(body !== undefined ? { "content-type": "application/json" } : {}), ...headers },
        ...(body !== undefined ? { body: typeof body === "string" ? body : JSON.stringify(body) } : {}),
      });
      const text = await res.text();
      let parsed: unknown = text;
      try {
        parsed = text ? JSON.parse(text) : null;
      } catch {
        // not JSON: keep the text
      }
      return { status: res.status, body: parsed, headers: res.headers };
    },
    async close() {
      await pool.end();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
