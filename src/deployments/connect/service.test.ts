// The DeploymentService over a real socket on the API's handler (listenApi, as the server listens): a Connect
// client over HTTP/1.1, a gRPC client over HTTP/2 cleartext and a gRPC-Web client, with the REST API's tokens,
// roles and workspace isolation, and the REST routes still answering on the same port.
import type { AddressInfo } from "node:net";
import type { Server } from "node:http";
import { Code, ConnectError, createClient, type Client } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport, createGrpcWebTransport } from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startInMemoryApp, type InMemoryApp } from "../../../test/helpers/in-memory-app.ts";
import { createWorkspace } from "../../server/auth.ts";
import { listenApi } from "../../server/api-listener.ts";
import { closeHttp } from "../../server/process-files.ts";
import { DeploymentService, DeploymentStatus } from "./gen/idp/deployment/v1/deployment_pb.ts";
import { apiRequestHandler } from "./handler.ts";

let t: InMemoryApp;
let server: Server;
let baseUrl: string;
let projectId: string;

beforeAll(async () => {
  t = await startInMemoryApp("deployments_connect");
  server = await listenApi({ handler: apiRequestHandler({ pool: t.pool, workflows: t.workflows, secrets: t.secrets }, t.fetch), port: 0, hostname: "127.0.0.1" });
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  projectId = (await t.api("POST", "/projects", { name: "shop", template: "static" })).body.id;
});
afterAll(async () => {
  if (server) await closeHttp(server);
  await t?.close();
});

const auth = (token: string) => ({ headers: { authorization: `Bearer ${token}` } });
const connect = () => createClient(DeploymentService, createConnectTransport({ baseUrl, httpVersion: "1.1" }));
const grpc = () => createClient(DeploymentService, createGrpcTransport({ baseUrl }));
const grpcWeb = () => createClient(DeploymentService, createGrpcWebTransport({ baseUrl, httpVersion: "1.1" }));
const APP = new TextEncoder().encode(JSON.stringify({ image: "ghcr.io/acme/app:1.0.0", ports: [3000] }));

async function codeOf(p: Promise<unknown>): Promise<{ code: Code; message: string }> {
  const err = await p.then(() => null, (e: unknown) => e);
  if (!(err instanceof ConnectError)) throw new Error(`expected a ConnectError, got ${String(err)}`);
  return { code: err.code, message: err.rawMessage };
}

describe("DeploymentService", () => {
  it("starts a deployment over Connect, reads its progress over gRPC (HTTP/2) and gRPC-Web, and cancels it: the same deployment REST shows", async () => {
    const started = await connect().startDeployment({ appId: projectId, generatorType: "docker-compose", config: APP, mode: "generate" }, auth(t.token));
    expect(started.workflowId).toMatch(/^dep_/);
    expect(t.workflows.calls.at(-1)).toMatchObject({ op: "start", name: "shipyard.deployment", options: { workflowId: started.workflowId, partitionKey: projectId } });

    const progress = await grpc().getDeploymentProgress({ workflowId: started.workflowId }, auth(t.token));
    expect(progress).toMatchObject({ workflowId: started.workflowId, status: DeploymentStatus.PENDING, stepsTotal: 4, stepsCurrent: 0, currentStep: "", errorMessage: "" });
    expect((await grpcWeb().getDeploymentProgress({ workflowId: started.workflowId }, auth(t.token))).status).toBe(DeploymentStatus.PENDING);

    expect((await grpc().cancelDeployment({ workflowId: started.workflowId }, auth(t.token))).success).toBe(true);
    expect((await connect().getDeploymentProgress({ workflowId: started.workflowId }, auth(t.token))).status).toBe(DeploymentStatus.CANCELLED);
    expect((await codeOf(grpc().cancelDeployment({ workflowId: started.workflowId }, auth(t.token)))).code).toBe(Code.FailedPrecondition);

    // REST on the same port, through the same handler.
    const rest = await fetch(`${baseUrl}/api/v1/deployments/${started.workflowId}`, auth(t.token));
    expect(await rest.json()).toMatchObject({ id: started.workflowId, status: "cancelled" });
  });

  it("defaults to execute mode as the seed does, and maps the seed's target", async () => {
    const noTarget = await codeOf(connect().startDeployment({ appId: projectId, generatorType: "docker-compose", config: APP }, auth(t.token)));
    expect(noTarget).toEqual({ code: Code.InvalidArgument, message: "target: execute mode needs a target of type docker" });
    const started = await grpc().startDeployment({ appId: projectId, generatorType: "docker-compose", config: APP, target: { type: "local", hostUrl: "tcp://10.0.0.5:2375" } }, auth(t.token));
    const rest = await t.api("GET", `/deployments/${started.workflowId}`);
    expect(rest.body).toMatchObject({ mode: "execute", stepsTotal: 5 });
    const row = await t.pool.query("select target from deployments where id = $1", [started.workflowId]);
    expect(row.rows[0].target).toEqual({ type: "docker", hostUrl: "tcp://10.0.0.5:2375", healthCheckSeconds: 60 });
  });

  it("refuses a bad config naming the field and the reason, and stores nothing", async () => {
    const before = (await t.pool.query("select count(*)::int as n from deployments")).rows[0].n;
    const bad = new TextEncoder().encode(JSON.stringify({ image: "x", replicas: "two" }));
    expect(await codeOf(grpc().startDeployment({ appId: projectId, generatorType: "helm", config: bad, mode: "generate" }, auth(t.token)))).toEqual({
      code: Code.InvalidArgument,
      message: "config.replicas: Invalid input: expected number, received string",
    });
    expect((await codeOf(grpc().startDeployment({ appId: projectId, generatorType: "helm", config: new TextEncoder().encode("{nope"), mode: "generate" }, auth(t.token)))).message).toContain("config: must be a JSON object");
    expect((await codeOf(grpc().startDeployment({ appId: projectId, generatorType: "nomad", mode: "generate" }, auth(t.token)))).message).toContain("generator_type");
    expect((await t.pool.query("select count(*)::int as n from deployments")).rows[0].n).toBe(before);
  });

  it("authenticates with the REST API's tokens, its roles and its workspaces", async () => {
    const clients: [string, Client<typeof DeploymentService>][] = [["connect", connect()], ["grpc", grpc()]];
    const started = await connect().startDeployment({ appId: projectId, generatorType: "docker-compose", config: APP, mode: "generate" }, auth(t.token));
    const viewer = (await t.api("POST", "/tokens", { name: "v", role: "viewer" })).body.token as string;
    const other = await createWorkspace(t.pool, "connect-elsewhere");
    for (const [name, c] of clients) {
      expect((await codeOf(c.getDeploymentProgress({ workflowId: started.workflowId }))).code, name).toBe(Code.Unauthenticated);
      expect((await codeOf(c.getDeploymentProgress({ workflowId: started.workflowId }, auth("syk_not_a_token")))).code, name).toBe(Code.Unauthenticated);
      expect((await c.getDeploymentProgress({ workflowId: started.workflowId }, auth(viewer))).status, name).toBe(DeploymentStatus.PENDING);
      expect((await codeOf(c.cancelDeployment({ workflowId: started.workflowId }, auth(viewer)))).code, name).toBe(Code.PermissionDenied);
      expect((await codeOf(c.startDeployment({ appId: projectId, generatorType: "docker-compose", config: APP, mode: "generate" }, auth(viewer)))).code, name).toBe(Code.PermissionDenied);
      expect((await codeOf(c.getDeploymentProgress({ workflowId: started.workflowId }, auth(other.token)))).code, name).toBe(Code.NotFound);
      expect((await codeOf(c.startDeployment({ appId: projectId, generatorType: "docker-compose", config: APP, mode: "generate" }, auth(other.token)))).code, name).toBe(Code.NotFound);
      expect((await codeOf(c.startDeployment({ appId: projectId, workspaceId: other.id, generatorType: "docker-compose", config: APP, mode: "generate" }, auth(t.token)))).message, name).toContain("workspace_id");
    }
  });
});
