// The deployment routes in memory: what they start, refuse (422 naming the field and the reason) and cancel, and
// workspace isolation (the deployments themselves run in test/deployments.test.ts).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startInMemoryApp, type InMemoryApp } from "../../../test/helpers/in-memory-app.ts";
import { createWorkspace } from "../auth.ts";

let t: InMemoryApp;
let projectId: string;
beforeAll(async () => {
  t = await startInMemoryApp("deployments_api");
  projectId = (await t.api("POST", "/projects", { name: "site", template: "static" })).body.id;
});
afterAll(async () => {
  await t?.close();
});

const as = (token: string) => ({ authorization: `Bearer ${token}` });
const count = async () => (await t.pool.query<{ n: number }>("select count(*)::int as n from deployments")).rows[0]!.n;
const APP = { image: "ghcr.io/acme/app:1.0.0", ports: [3000], replicas: 2, env: { LOG_LEVEL: "info" }, ingress: { host: "app.example.com" } };

describe("deployment API", () => {
  it("starts a deployment (202) on the project's partition, shows it with the seed's progress shape and lists it; a viewer may read but not deploy", async () => {
    const viewer = (await t.api("POST", "/tokens", { name: "v", role: "viewer" })).body.token as string;
    expect((await t.api("POST", `/projects/${projectId}/deployments`, { generator: "docker-compose", config: APP }, as(viewer))).status).toBe(403);
    const res = await t.api("POST", `/projects/${projectId}/deployments`, { generator: "docker-compose", config: APP });
    expect(res.status, JSON.stringify(res.body)).toBe(202);
    expect(res.body.id).toMatch(/^dep_/);
    expect(res.body).toMatchObject({ operationId: res.body.id, workflowId: res.body.id, projectId, generator: "docker-compose", mode: "generate", direct: false, status: "pending" });
    expect(res.body).toMatchObject({ currentStep: null, stepsTotal: 4, stepsCurrent: 0, message: null, error: null, deploymentUrl: null, commit: null, prUrl: null, files: [] });
    expect(t.workflows.calls.at(-1)).toMatchObject({ op: "start", name: "shipyard.deployment", options: { workflowId: res.body.id, queue: "shipyard-builds", partitionKey: projectId } });
    expect((await t.api("GET", `/deployments/${res.body.id}`, undefined, as(viewer))).body.id).toBe(res.body.id);
    expect((await t.api("GET", `/projects/${projectId}/deployments`, undefined, as(viewer))).body.deployments.map((d: { id: string }) => d.id)).toContain(res.body.id);
    expect((await t.api("GET", "/deployments")).body.deployments.map((d: { id: string }) => d.id)).toContain(res.body.id);
    expect((await t.api("GET", `/deployments/${res.body.id}/files`)).body).toEqual({ files: [] });
    expect((await t.api("GET", `/deployments/${res.body.id}/files?path=compose.yaml`)).status).toBe(404);
    expect((await t.api("GET", `/operations/${res.body.id}`)).body.detail.workflowId).toBe(res.body.id);
  });

  it("refuses a bad config or target with 422 naming each field and the reason, and stores nothing", async () => {
    const before = await count();
    const post = (body: unknown) => t.api("POST", `/projects/${projectId}/deployments`, body);
    const bad = await post({ generator: "helm", config: { ...APP, replicas: "two", colour: "blue" } });
    expect([bad.status, bad.body.code]).toEqual([422, "invalid_config"]);
    expect(bad.headers.get("content-type")).toContain("application/problem+json");
    const paths = bad.body.errors.map((e: { path: string }) => e.path);
    expect(paths).toEqual(expect.arrayContaining(["config.replicas", "config.colour"]));
    expect(bad.body.errors.find((e: { path: string }) => e.path === "config.colour").message).toContain("unknown key");
    expect(bad.body.detail).toMatch(/^config\.(replicas|colour): /);

    const noTarget = await post({ generator: "docker-compose", config: APP, mode: "execute" });
    expect([noTarget.status, noTarget.body.errors[0].path]).toEqual([422, "target"]);
    const wrongKind = await post({ generator: "helm", config: APP, mode: "execute", target: { type: "docker" } });
    expect([wrongKind.status, wrongKind.body.errors[0].path]).toEqual([422, "target.type"]);
    const badHost = await post({ generator: "docker-compose", config: APP, mode: "execute", target: { type: "docker", hostUrl: "http://x" } });
    expect([badHost.status, badHost.body.errors[0].path]).toEqual([422, "target.hostUrl"]);
    const noSecret = await post({ generator: "kubernetes", config: APP, mode: "execute", target: { type: "kubernetes", kubeconfigSecret: "prod_kubeconfig" } });
    expect([noSecret.status, noSecret.body.errors[0]]).toEqual([422, { path: "target.kubeconfigSecret", message: "no secret named prod_kubeconfig in this workspace" }]);
    // A wrong target and a wrong config in one request: every problem named, as the service names them.
    const both = await post({ generator: "docker-compose", config: { ...APP, replicas: "two" }, mode: "execute", target: { type: "docker", hostUrl: "http://x", colour: "blue" } });
    expect([both.status, both.body.code]).toEqual([422, "invalid_config"]);
    expect(both.body.errors.map((e: { path: string }) => e.path)).toEqual(["config.replicas", "target.hostUrl", "target.colour"]);
    expect((await post({ generator: "nomad", config: APP })).status).toBe(400);
    expect(await count()).toBe(before);
  });

  it("takes a target whose secrets exist", async () => {
    expect((await t.api("PUT", "/secrets/prod_kubeconfig", { value: "apiVersion: v1\nkind: Config\n" })).status).toBeLessThan(300);
    const res = await t.api("POST", `/projects/${projectId}/deployments`, { generator: "helm", config: APP, mode: "execute", target: { type: "kubernetes", kubeconfigSecret: "prod_kubeconfig", namespace: "shop" } });
    expect(res.status, JSON.stringify(res.body)).toBe(202);
    expect(res.body).toMatchObject({ mode: "execute", stepsTotal: 5 });
  });

  it("cancels a deployment that has not started: cancelled with its events, then 409", async () => {
    const d = (await t.api("POST", `/projects/${projectId}/deployments`, { generator: "docker-compose", config: APP })).body;
    const cancelled = await t.api("POST", `/deployments/${d.id}/cancel`);
    expect(cancelled.status).toBe(200);
    expect(cancelled.body).toMatchObject({ status: "cancelled", error: "cancelled" });
    const events = (await t.api("GET", `/operations/${d.id}/events`, undefined, { accept: "application/json" })).body.events;
    expect(events.map((e: { type: string; payload: { status: string } }) => `${e.type}:${e.payload.status}`)).toEqual(["status:pending", "status:cancelled", "complete:cancelled"]);
    expect((await t.api("POST", `/deployments/${d.id}/cancel`)).status).toBe(409);
  });

  it("keeps each workspace's deployments to itself", async () => {
    const d = (await t.api("POST", `/projects/${projectId}/deployments`, { generator: "docker-compose", config: APP })).body;
    const other = await createWorkspace(t.pool, "deployments-elsewhere");
    expect((await t.api("GET", `/deployments/${d.id}`, undefined, as(other.token))).status).toBe(404);
    expect((await t.api("GET", `/deployments/${d.id}/files`, undefined, as(other.token))).status).toBe(404);
    expect((await t.api("POST", `/deployments/${d.id}/cancel`, undefined, as(other.token))).status).toBe(404);
    expect((await t.api("POST", `/projects/${projectId}/deployments`, { generator: "docker-compose", config: APP }, as(other.token))).status).toBe(404);
    expect((await t.api("GET", "/deployments", undefined, as(other.token))).body.deployments).toEqual([]);
  });

  it("lists the generators with their config's JSON Schema", async () => {
    const res = await t.api("GET", "/generators");
    expect(res.body.generators.map((g: { name: string }) => g.name)).toEqual(["docker-compose", "helm", "kubernetes", "terraform"]);
    expect(res.body.generators[0]).toMatchObject({ target: "docker", configSchema: { type: "object" } });
  });

  it("detects the app a studio project's deployment starts from: its template, named after the project; 404 elsewhere", async () => {
    const res = await t.api("GET", `/projects/${projectId}/deployments/detect`);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toEqual({ app: { name: "site", ports: [80], healthCheck: { path: "/" } }, source: "template" });
    // A package.json names the app, as it does in the clone.
    const vite = (await t.api("POST", "/projects", { name: "shop", template: "react-vite" })).body.id as string;
    expect((await t.api("GET", `/projects/${vite}/deployments/detect`)).body.app).toMatchObject({ name: "react-vite-app", healthCheck: { path: "/" } });
    const viewer = (await t.api("POST", "/tokens", { name: "detect-viewer", role: "viewer" })).body.token as string;
    expect((await t.api("GET", `/projects/${projectId}/deployments/detect`, undefined, as(viewer))).status).toBe(200);
    const other = await createWorkspace(t.pool, "detect-elsewhere");
    expect((await t.api("GET", `/projects/${projectId}/deployments/detect`, undefined, as(other.token))).status).toBe(404);
  });

  it("documents the request's target in the OpenAPI document as the union of the three target kinds", async () => {
    interface Schema { $ref?: string; properties?: Record<string, Schema>; oneOf?: Schema[]; anyOf?: Schema[]; required?: string[]; additionalProperties?: boolean; const?: string; enum?: string[] }
    const doc = (await (await t.request("/api/v1/openapi.json")).json()) as { paths: Record<string, { post: { requestBody: { content: Record<string, { schema: Schema }> } } }>; components: { schemas: Record<string, Schema> } };
    const body = doc.paths["/projects/{id}/deployments"]!.post.requestBody.content["application/json"]!.schema;
    const request = body.$ref ? doc.components.schemas[body.$ref.split("/").pop()!]! : body;
    const target = request.properties!.target!;
    const kinds = (target.oneOf ?? target.anyOf)!;
    expect(kinds.map((k) => k.properties!.type!.const ?? k.properties!.type!.enum?.[0])).toEqual(["docker", "kubernetes", "terraform"]);
    expect(Object.keys(kinds[0]!.properties!)).toEqual(expect.arrayContaining(["type", "url", "healthCheckSeconds", "hostUrl"]));
    expect(Object.keys(kinds[1]!.properties!)).toEqual(expect.arrayContaining(["kubeconfigSecret", "namespace"]));
    expect(kinds[1]!.required).toContain("kubeconfigSecret");
    expect(Object.keys(kinds[2]!.properties!)).toEqual(expect.arrayContaining(["workspace", "vars", "secretVars"]));
    expect(kinds.every((k) => k.additionalProperties === false)).toBe(true);
  });
});
