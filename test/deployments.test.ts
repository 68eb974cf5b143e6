// Deployments end to end on a real server, runner and sandbox: generate mode against a fixture repository with a
// bare remote (one commit; a re-run makes none), a pull request against the fake GitHub (once), execute mode with
// stub docker, helm, kubectl and terraform on the runner's PATH, the health check, and a cancel mid-execute.
import { createHash } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { promises as fs } from "node:fs";
import os from "node:os";
import { runCli } from "./helpers/cli.ts";
import { FAKE_GITHUB_ENV, startFakeGitHub } from "./helpers/fake-github.ts";
import { makeFixtureRemote } from "./helpers/git-fixture.ts";
import { stubCalls, stubDeployTools } from "./helpers/deploy-tools.ts";
import { operationEvents, startTestShipyard, waitFor, type TestShipyard } from "./helpers/shipyard.ts";
import { startWebhookReceiver, type WebhookReceiver } from "./helpers/webhook-receiver.ts";

let s: TestShipyard;
let app: http.Server;
let appPort: number;
let broken: http.Server;
let brokenPort: number;
let receiver: WebhookReceiver;
const savedPath = process.env.PATH;

beforeAll(async () => {
  // The runner inherits this PATH and shows its directories to its steps.
  process.env.PATH = `${await stubDeployTools()}${path.delimiter}${savedPath}`;
  s = await startTestShipyard({ env: FAKE_GITHUB_ENV });
  // The "deployed app" the health check reaches.
  app = http.createServer((_req, res) => res.end("ok"));
  await new Promise<void>((r) => app.listen(0, "127.0.0.1", r));
  appPort = (app.address() as AddressInfo).port;
  // One that never gets well.
  broken = http.createServer((_req, res) => {
    res.statusCode = 503;
    res.end("starting");
  });
  await new Promise<void>((r) => broken.listen(0, "127.0.0.1", r));
  brokenPort = (broken.address() as AddressInfo).port;
  receiver = await startWebhookReceiver();
  const hook = await s.api("POST", "/webhooks", { url: receiver.url, events: ["deployment.started", "deployment.completed", "deployment.failed"] });
  expect(hook.status, JSON.stringify(hook.body)).toBe(201);
  receiver.secret = hook.body.secret;
});
afterAll(async () => {
  await s?.stop();
  await new Promise((r) => app?.close(r));
  await new Promise((r) => broken?.close(r));
  await receiver?.close();
  process.env.PATH = savedPath;
});

const APP = { image: "ghcr.io/acme/app:1.0.0", ports: [3000], replicas: 2, env: { LOG_LEVEL: "info" }, ingress: { host: "app.example.com" } };

async function project(name: string, extra: Record<string, unknown> = {}): Promise<{ id: string; fixture: Awaited<ReturnType<typeof makeFixtureRemote>> }> {
  const fixture = await makeFixtureRemote();
  const p = await s.api("POST", "/projects", { name, repo: fixture.remote, defaultBranch: "main", ...extra });
  expect(p.status, JSON.stringify(p.body)).toBe(201);
  return { id: p.body.id, fixture };
}

async function deployToEnd(projectId: string, body: Record<string, unknown>): Promise<any> {
  const res = await s.api("POST", `/projects/${projectId}/deployments`, body);
  expect(res.status, JSON.stringify(res.body)).toBe(202);
  return waitFor(
    async () => {
      const d = await s.api("GET", `/deployments/${res.body.id}`);
      return ["generated", "deployed", "failed", "cancelled"].includes(d.body.status) ? d.body : null;
    },
    120_000,
    `deployment ${res.body.id}`,
  );
}

const phases = (events: any[]) => events.filter((e) => e.type === "phase").map((e) => `${e.payload.phase}:${e.payload.status}`);

describe("deployments", { timeout: 180_000 }, () => {
  it("generate mode, direct: one commit of the files on the default branch; a re-run with the same config makes none", async () => {
    const { id, fixture } = await project("direct");
    const before = fixture.git("rev-parse", "main");
    const first = await deployToEnd(id, { generator: "docker-compose", config: APP, direct: true });
    expect(first.status, first.error).toBe("generated");
    expect(first).toMatchObject({ currentStep: "commit", stepsCurrent: 4, stepsTotal: 4, branch: "main", prUrl: null, deploymentUrl: null });
    expect(fixture.git("rev-parse", "main")).toBe(first.commit);
    expect(fixture.git("rev-list", "--count", `${before}..main`)).toBe("1");
    expect(fixture.git("log", "-1", "--format=%B", "main")).toContain(`Shipyard-Deployment: ${first.id}`);
    const files = (await s.api("GET", `/deployments/${first.id}/files`)).body.files;
    expect(files.map((f: { path: string }) => f.path)).toEqual(first.files.map((f: { path: string }) => f.path));
    expect(fixture.git("show", `main:${files[0].path}`)).toBe(files[0].content.trimEnd());
    const one = await s.api("GET", `/deployments/${first.id}/files?path=${encodeURIComponent(files[0].path)}`);
    expect(one.body.files).toEqual([files[0]]);

    const events = await operationEvents(s, first.id);
    expect(phases(events)).toEqual(["validate:in_progress", "validate:complete", "prepare:in_progress", "prepare:complete", "generate:in_progress", "generate:complete", "commit:in_progress", "commit:complete"]);
    expect(events.at(-1)).toMatchObject({ type: "complete", payload: { status: "succeeded", commit: first.commit } });

    const again = await deployToEnd(id, { generator: "docker-compose", config: APP, direct: true });
    expect(again.status, again.error).toBe("generated");
    expect(again.commit).toBeNull();
    expect(again.message).toContain("unchanged");
    expect(fixture.git("rev-parse", "main")).toBe(first.commit);
  });

  it("generate mode on GitHub: one commit on the deployment branch and one pull request, however often it runs", async () => {
    const gh = await startFakeGitHub();
    try {
      const { id, fixture } = await project("gh", { credentials: "ghp_deploysecret", github: { owner: "acme", repo: "shop", apiUrl: gh.url } });
      const base = fixture.git("rev-parse", "main");
      const first = await deployToEnd(id, { generator: "helm", config: APP });
      expect(first.status, first.error).toBe("generated");
      expect(first.branch).toBe("shipyard/deploy-helm");
      expect(first.prUrl).toMatch(/\/acme\/shop\/pull\/\d+$/);
      expect(fixture.git("rev-parse", "shipyard/deploy-helm")).toBe(first.commit);
      expect(fixture.git("rev-parse", "main")).toBe(base);
      const again = await deployToEnd(id, { generator: "helm", config: APP });
      expect(again).toMatchObject({ status: "generated", commit: null, prUrl: first.prUrl });
      expect(fixture.git("rev-list", "--count", "main..shipyard/deploy-helm")).toBe("1");
      const posts = gh.requests.filter((r) => r.method === "POST");
      expect(posts).toHaveLength(1);
      expect(posts[0]!.body).toMatchObject({ head: "shipyard/deploy-helm", base: "main" });
      expect(JSON.stringify(await operationEvents(s, first.id))).not.toContain("ghp_deploysecret");
    } finally {
      await gh.close();
    }
  });

  it("execute mode, docker compose: up -d against the target's DOCKER_HOST, the URL from the published port and the target host, checked", async () => {
    const { id } = await project("compose-exec");
    const d = await deployToEnd(id, { generator: "docker-compose", config: { ...APP, ports: [appPort] }, mode: "execute", target: { type: "docker", hostUrl: "tcp://127.0.0.1:2375" } });
    expect(d.status, d.error).toBe("deployed");
    expect(d).toMatchObject({ deploymentUrl: `http://127.0.0.1:${appPort}`, stepsTotal: 5, stepsCurrent: 5, currentStep: "health_check", commit: null });
    const events = await operationEvents(s, d.id);
    const [call] = stubCalls(events);
    expect(call).toMatchObject({ tool: "docker", dockerHost: "tcp://127.0.0.1:2375" });
    // Nothing in the fixture repository names the app, so it takes the project's name (never the clone's directory).
    expect(call!.args).toEqual(["compose", "-f", d.files[0].path, "-p", "compose-exec", "up", "-d"]);
    expect(phases(events).slice(-4)).toEqual(["execute:in_progress", "execute:complete", "health_check:in_progress", "health_check:complete"]);
    const hooks = await waitFor(async () => {
      const mine = receiver.received.filter((r) => r.verified?.data.deploymentId === d.id);
      return mine.some((r) => r.verified?.type === "deployment.completed") ? mine : null;
    }, 30_000, "the deployment's webhooks");
    expect(hooks.map((r) => r.verified!.type).sort()).toEqual(["deployment.completed", "deployment.started"]);
    expect(hooks.find((r) => r.verified!.type === "deployment.completed")!.verified!.data).toMatchObject({ projectId: id, generator: "docker-compose", mode: "execute", deploymentUrl: d.deploymentUrl });
  });

  it("execute mode: a URL that does not answer well within the target's bound fails the health check; one the URL policy refuses fails at once", async () => {
    const { id } = await project("unhealthy");
    const d = await deployToEnd(id, { generator: "docker-compose", config: { ...APP, ports: [brokenPort] }, mode: "execute", target: { type: "docker", hostUrl: "tcp://127.0.0.1:2375", healthCheckSeconds: 2 } });
    expect(d).toMatchObject({ status: "failed", currentStep: "health_check", deploymentUrl: `http://127.0.0.1:${brokenPort}` });
    expect(d.error).toBe(`the deployment did not answer at http://127.0.0.1:${brokenPort} within 2 s: http://127.0.0.1:${brokenPort} answered 503`);
    const failed = await waitFor(async () => receiver.received.find((r) => r.verified?.data.deploymentId === d.id && r.verified?.type === "deployment.failed"), 30_000, "deployment.failed");
    expect(failed.verified!.data).toMatchObject({ status: "failed", step: "health_check", error: d.error });

    // This server allows plain http to 127.0.0.1 only: a local engine's URL (localhost) is refused without a try.
    const refused = await deployToEnd(id, { generator: "docker-compose", config: APP, mode: "execute", target: { type: "docker" } });
    expect(refused.status).toBe("failed");
    expect(refused.error).toContain("http://localhost:3000");
    expect(refused.error).toContain("SHIPYARD_ALLOWED_HTTP_HOSTS");
  });

  it("execute mode, helm and kubectl: the kubeconfig secret reaches the tool as a file and never the log", async () => {
    const kubeconfig = "apiVersion: v1\nkind: Config\nusers: [{name: u, user: {token: kube-secret-token}}]\n";
    expect((await s.api("PUT", "/secrets/kubeconfig_prod", { value: kubeconfig })).status).toBeLessThan(300);
    const sha = createHash("sha256").update(`${kubeconfig}\n`).digest("hex");
    const { id } = await project("k8s-exec");
    const target = { type: "kubernetes", kubeconfigSecret: "kubeconfig_prod", namespace: "shop", url: `http://127.0.0.1:${appPort}/healthz` };
    for (const generator of ["helm", "kubernetes"]) {
      const d = await deployToEnd(id, { generator, config: APP, mode: "execute", target });
      expect(d.status, d.error).toBe("deployed");
      expect(d.deploymentUrl).toBe(target.url);
      const events = await operationEvents(s, d.id);
      const [call] = stubCalls(events);
      expect(call?.kubeconfig).toBe(sha);
      const dir = path.posix.dirname(d.files[0].path);
      expect(call!.args).toEqual(generator === "helm" ? ["upgrade", "--install", "k8s-exec", dir, "--namespace", "shop", "--create-namespace", "--wait"] : ["apply", "--namespace", "shop", "-f", dir]);
      expect(JSON.stringify(events)).not.toContain("kube-secret-token");
    }
  });

  it("execute mode, terraform: init, workspace and apply -auto-approve, variables plain and from secrets", async () => {
    expect((await s.api("PUT", "/secrets/tf_token", { value: "tf-secret-value" })).status).toBeLessThan(300);
    const { id } = await project("tf-exec");
    const target = { type: "terraform", workspace: "prod", vars: { region: "eu" }, secretVars: { token: "tf_token" }, url: `http://127.0.0.1:${appPort}` };
    const d = await deployToEnd(id, { generator: "terraform", config: APP, mode: "execute", target });
    expect(d.status, d.error).toBe("deployed");
    const events = await operationEvents(s, d.id);
    const calls = stubCalls(events);
    const chdir = `-chdir=${path.posix.dirname(d.files[0].path)}`;
    expect(calls.map((c) => c.args)).toEqual([
      [chdir, "init", "-input=false", "-no-color"],
      [chdir, "workspace", "select", "-or-create", "prod"],
      [chdir, "apply", "-auto-approve", "-input=false", "-no-color"],
    ]);
    const hash = (v: string) => createHash("sha256").update(v).digest("hex");
    expect(calls[2]!.tfVars).toEqual({ region: hash("eu"), token: hash("tf-secret-value") });
    expect(JSON.stringify(events)).not.toContain("tf-secret-value");
  });

  it("cancel mid-execute kills the tool: the deployment ends cancelled and the tool never finishes", async () => {
    const { id } = await project("cancel-exec");
    const res = await s.api("POST", `/projects/${id}/deployments`, { generator: "docker-compose", config: { ...APP, env: { MODE: "sleepy" } }, mode: "execute", target: { type: "docker" } });
    expect(res.status).toBe(202);
    await waitFor(async () => (await operationEvents(s, res.body.id)).some((e) => e.type === "log" && e.payload.line === "STUB docker sleeping"), 60_000, "docker to start");
    expect((await s.api("POST", `/deployments/${res.body.id}/cancel`)).status).toBe(200);
    const d = await waitFor(async () => {
      const b = (await s.api("GET", `/deployments/${res.body.id}`)).body;
      return ["deployed", "failed", "cancelled"].includes(b.status) ? b : null;
    }, 60_000, "the cancel");
    expect(d.status).toBe("cancelled");
    const events = await operationEvents(s, res.body.id);
    expect(events.some((e) => e.type === "log" && e.payload.line === "STUB docker woke")).toBe(false);
    expect(phases(events)).not.toContain("execute:complete");
    expect(events.at(-1)).toMatchObject({ type: "complete", payload: { status: "cancelled" } });
  });

  it("the CLI: shipyard deploy follows it live and prints the commit; deployments lists and shows it, its files and one file; a refused config names the field", async () => {
    const { fixture } = await project("cli-app");
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), "shipyard-deploy-cli-"));
    await fs.writeFile(path.join(dir, "app.yaml"), "image: ghcr.io/acme/app:1.0.0\nports: [8080]\nreplicas: 2\n");
    await fs.writeFile(path.join(dir, "bad.yaml"), "image: x\nreplicas: two\n");
    const env = { PATH: process.env.PATH ?? "", HOME: dir, SHIPYARD_URL: s.url, SHIPYARD_TOKEN: s.adminToken, NO_COLOR: "1" };
    const deployed = await runCli(["deploy", "cli-app", "--generator", "docker-compose", "--config", path.join(dir, "app.yaml"), "--direct"], { env });
    expect(deployed.code, deployed.stderr + deployed.stdout).toBe(0);
    const sha = fixture.git("rev-parse", "main");
    expect(deployed.stdout).toMatch(/commit .*committed/);
    expect(deployed.stdout).toContain(`commit ${sha}`);
    const id = /deployment (dep_\w+)/.exec(deployed.stdout)![1]!;

    const listed = await runCli(["deployments", "cli-app"], { env });
    expect(listed.stdout).toContain(id);
    expect((await runCli(["deployments"], { env })).stdout).toContain(id);
    const shown = await runCli(["deployments", "show", id], { env });
    expect(shown.code, shown.stderr).toBe(0);
    expect(shown.stdout).toContain(`commit ${sha}`);
    const file = JSON.parse((await runCli(["deployments", "show", id, "--json"], { env })).stdout).files[0].path as string;
    expect(shown.stdout).toContain(file);
    const content = await runCli(["deployments", "show", id, "--file", file], { env });
    expect(content.stdout).toBe(fixture.git("show", `main:${file}`) + "\n");

    const refused = await runCli(["deploy", "cli-app", "-g", "docker-compose", "-c", path.join(dir, "bad.yaml")], { env });
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain("config.replicas: Invalid input: expected number, received string");
  });
});
