// The seed's DeploymentService (proto/idp/deployment/v1) over Connect, gRPC and gRPC-Web: the same bearer tokens,
// roles and workspace isolation as the REST API (an interceptor calling src/server/auth.ts and policy.ts), and the
// same service layer (src/deployments/service.ts), never a second implementation.
import { Code, ConnectError, createContextKey, type ConnectRouter, type Interceptor } from "@connectrpc/connect";
import { create } from "@bufbuild/protobuf";
import { ShipyardError } from "../../domain/errors.ts";
import { bearerToken, resolveToken, type Principal } from "../../server/auth.ts";
import { allows, forbidden, type Need } from "../../server/policy.ts";
import { GENERATOR_NAMES, type GeneratorName } from "../generators/index.ts";
import { DeploymentInput, type DeploymentView } from "../schemas.ts";
import { cancelDeployment, getDeployment, startDeployment, type DeploymentDeps } from "../service.ts";
import { fieldProblems, invalidConfig } from "../validate.ts";
import {
  CancelDeploymentResponseSchema, DeploymentService, DeploymentStatus, GetDeploymentProgressResponseSchema, StartDeploymentResponseSchema,
  type DeploymentTarget as ProtoTarget, type StartDeploymentRequest,
} from "./gen/idp/deployment/v1/deployment_pb.ts";

const principalKey = createContextKey<Principal | null>(null, { description: "the caller's token" });

/** What each RPC needs, as the REST routes it stands for. */
const NEEDS: Record<string, Need> = { StartDeployment: "member", GetDeploymentProgress: "viewer", CancelDeployment: "member" };

const CODES: Record<number, Code> = { 400: Code.InvalidArgument, 401: Code.Unauthenticated, 403: Code.PermissionDenied, 404: Code.NotFound, 409: Code.FailedPrecondition, 413: Code.ResourceExhausted, 422: Code.InvalidArgument, 503: Code.Unavailable };

/** A ShipyardError as the Connect error of the same meaning (its message names the field, as the problem's detail does). */
function toConnectError(err: unknown): unknown {
  if (!(err instanceof ShipyardError)) return err;
  return new ConnectError(err.message, CODES[err.status] ?? Code.Internal, { "x-shipyard-code": err.code });
}

/** Authenticate every call with the REST API's bearer tokens and check the RPC's role; the principal goes to the handler. */
export function authInterceptor(deps: Pick<DeploymentDeps, "pool">): Interceptor {
  return (next) => async (req) => {
    const token = bearerToken(req.header.get("authorization"));
    if (!token) throw new ConnectError("missing bearer token: send `Authorization: Bearer <token>`", Code.Unauthenticated);
    const principal = await resolveToken(deps.pool, token);
    if (!principal) throw new ConnectError("unknown or revoked token", Code.Unauthenticated);
    const need = NEEDS[req.method.name] ?? "owner";
    if (!allows(principal, need)) throw toConnectError(forbidden(principal, need, req.method.name));
    req.contextValues.set(principalKey, principal);
    return next(req);
  };
}

/** The seed's enum from the deployment's status. */
const STATUS: Record<DeploymentView["status"], DeploymentStatus> = {
  pending: DeploymentStatus.PENDING,
  deploying: DeploymentStatus.RUNNING,
  generated: DeploymentStatus.COMPLETED,
  deployed: DeploymentStatus.COMPLETED,
  failed: DeploymentStatus.FAILED,
  cancelled: DeploymentStatus.CANCELLED,
};

/**
 * The seed's target as Shipyard's: `local`/`docker` take host_url as the Docker host; `kubernetes` (and `helm`)
 * name the kubeconfig secret in `cluster` and the namespace in `region`; `terraform` passes `region` as a variable.
 */
function targetOf(t: ProtoTarget | undefined): unknown {
  if (!t || t.type === "") return undefined;
  if (t.type === "local" || t.type === "docker") return { type: "docker", ...(t.hostUrl ? { hostUrl: t.hostUrl } : {}) };
  if (t.type === "kubernetes" || t.type === "helm") return { type: "kubernetes", kubeconfigSecret: t.cluster, ...(t.region ? { namespace: t.region } : {}) };
  if (t.type === "terraform") return { type: "terraform", ...(t.region ? { vars: { region: t.region } } : {}) };
  return { type: t.type };
}

/** The REST input from the seed's request (mode defaults to execute, as the seed's server does); a problem names the proto field. */
function inputOf(req: StartDeploymentRequest, workspaceId: string): { projectId: string; input: DeploymentInput } {
  const problems: { path: string; message: string }[] = [];
  if (req.workspaceId && req.workspaceId !== workspaceId) problems.push({ path: "workspace_id", message: "must be empty or the token's workspace" });
  if (!req.appId) problems.push({ path: "app_id", message: "is required (the project's id)" });
  const generator = req.generatorType || req.generatorSlug;
  if (!(GENERATOR_NAMES as readonly string[]).includes(generator)) problems.push({ path: "generator_type", message: `must be one of ${GENERATOR_NAMES.join(", ")}` });
  let config: unknown = {};
  try {
    config = req.config.length > 0 ? JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(req.config)) : {};
  } catch {
    problems.push({ path: "config", message: "must be a JSON object (UTF-8)" });
  }
  const parsed = DeploymentInput.safeParse({ generator: generator as GeneratorName, config, target: targetOf(req.target), mode: req.mode || "execute" });
  if (!parsed.success && problems.length === 0) problems.push(...fieldProblems("", parsed.error.issues));
  if (problems.length > 0 || !parsed.success) throw invalidConfig(problems);
  return { projectId: req.appId, input: parsed.data };
}

/** Register the DeploymentService on a Connect router. */
export function deploymentConnectRoutes(deps: DeploymentDeps): (router: ConnectRouter) => void {
  const call = async <T>(fn: () => Promise<T>): Promise<T> => {
    try {
      return await fn();
    } catch (err) {
      throw toConnectError(err);
    }
  };
  return (router) =>
    router.service(DeploymentService, {
      startDeployment: (req, ctx) =>
        call(async () => {
          const { workspaceId } = ctx.values.get(principalKey)!;
          const { projectId, input } = inputOf(req, workspaceId);
          const d = await startDeployment(deps, workspaceId, projectId, input);
          return create(StartDeploymentResponseSchema, { workflowId: d.workflowId });
        }),
      getDeploymentProgress: (req, ctx) =>
        call(async () => {
          const d = await getDeployment(deps.pool, ctx.values.get(principalKey)!.workspaceId, req.workflowId);
          return create(GetDeploymentProgressResponseSchema, {
            workflowId: d.workflowId,
            status: STATUS[d.status],
            currentStep: d.currentStep ?? "",
            stepsTotal: d.stepsTotal,
            stepsCurrent: d.stepsCurrent,
            message: d.message ?? "",
            errorMessage: d.error ?? "",
            deploymentUrl: d.deploymentUrl ?? "",
          });
        }),
      cancelDeployment: (req, ctx) =>
        call(async () => {
          await cancelDeployment(deps, ctx.values.get(principalKey)!.workspaceId, req.workflowId);
          return create(CancelDeploymentResponseSchema, { success: true });
        }),
    });
}
