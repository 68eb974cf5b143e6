// What the API takes and shows for deployments, as zod schemas (the routes' OpenAPI and the Connect service's
// checks are built from them).
import { z } from "zod";
import { GENERATOR_NAMES, type GeneratorName } from "./generators/index.ts";

/** The URL to health-check instead of the one worked out from the config and target. */
const HealthUrl = z.url({ protocol: /^https?$/ }).optional();

/** How long the deployment URL has to answer (0: no health check). */
const HealthSeconds = z.number().int().min(0).max(600).default(60);

const SecretName = z.string().regex(/^[A-Za-z0-9_.-]{1,128}$/, "a secret's name (letters, digits, _ . -)");

/** A Docker engine to run compose against: DOCKER_HOST (unix://, tcp:// or ssh://); none: the runner's own engine. */
export const DockerTarget = z
  .object({
    type: z.literal("docker"),
    url: HealthUrl,
    healthCheckSeconds: HealthSeconds,
    hostUrl: z.string().regex(/^(unix|tcp|ssh):\/\/\S+$/, "a Docker host URL: unix://, tcp:// or ssh://").optional(),
  })
  .strict();

/** A Kubernetes cluster (helm and kubernetes generators): its kubeconfig is a workspace secret, named here. */
export const KubernetesTarget = z
  .object({
    type: z.literal("kubernetes"),
    url: HealthUrl,
    healthCheckSeconds: HealthSeconds,
    kubeconfigSecret: SecretName,
    namespace: z.string().regex(/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/, "a Kubernetes namespace").default("default"),
  })
  .strict();

/** Terraform: its workspace, plain variables, and variables whose values are workspace secrets (by name). */
export const TerraformTarget = z
  .object({
    type: z.literal("terraform"),
    url: HealthUrl,
    healthCheckSeconds: HealthSeconds,
    workspace: z.string().regex(/^[A-Za-z0-9_-]{1,90}$/, "a Terraform workspace name").optional(),
    vars: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "a Terraform variable name"), z.string()).default({}),
    secretVars: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "a Terraform variable name"), SecretName).default({}),
  })
  .strict();

/** Where execute mode deploys to; every kind may name the URL to health-check instead of the one worked out. */
export const DeploymentTarget = z.discriminatedUnion("type", [DockerTarget, KubernetesTarget, TerraformTarget]);
export type DeploymentTarget = z.infer<typeof DeploymentTarget>;

/** The target kind each generator's tool deploys to. */
export const TARGET_OF: Record<GeneratorName, DeploymentTarget["type"]> = { "docker-compose": "docker", helm: "kubernetes", kubernetes: "kubernetes", terraform: "terraform" };

/** POST /projects/{id}/deployments. The config is checked against the generator's schema by the service (422 naming the field). */
export const DeploymentInput = z
  .object({
    generator: z.enum(GENERATOR_NAMES),
    config: z.record(z.string(), z.unknown()).default({}),
    /** Execute mode's target; a wrong one is refused with 422 naming the field (the route maps its validation). */
    target: DeploymentTarget.optional(),
    mode: z.enum(["generate", "execute"]).default("generate"),
    /** generate mode: commit to the default branch itself rather than a branch with a pull request. */
    direct: z.boolean().default(false),
  })
  .strict();
export type DeploymentInput = z.infer<typeof DeploymentInput>;

/** A deployment's status as the seed names them. */
export const DeploymentStatus = z.enum(["pending", "deploying", "generated", "deployed", "failed", "cancelled"]);
export type DeploymentStatus = z.infer<typeof DeploymentStatus>;

/** The steps a deployment goes through, in order, per mode. */
export const DEPLOYMENT_STEPS = {
  generate: ["validate", "prepare", "generate", "commit"],
  execute: ["validate", "prepare", "generate", "execute", "health_check"],
} as const;

/** A generated file's path and size (GET /deployments/{id}/files). */
export const DeploymentFileEntry = z.object({ path: z.string(), bytes: z.number().int() });

/** A deployment as the API shows it: the seed's progress shape, and what it made. */
export const DeploymentView = z.object({
  id: z.string(),
  operationId: z.string(),
  /** The id the Connect service's GetDeploymentProgress and CancelDeployment take (the deployment's own). */
  workflowId: z.string(),
  projectId: z.string(),
  generator: z.enum(GENERATOR_NAMES),
  mode: z.enum(["generate", "execute"]),
  direct: z.boolean(),
  status: DeploymentStatus,
  currentStep: z.string().nullable(),
  stepsTotal: z.number().int(),
  stepsCurrent: z.number().int(),
  message: z.string().nullable(),
  error: z.string().nullable(),
  deploymentUrl: z.string().nullable(),
  commit: z.string().nullable(),
  branch: z.string().nullable(),
  prUrl: z.string().nullable(),
  files: z.array(DeploymentFileEntry),
  createdAt: z.string(),
  finishedAt: z.string().nullable(),
});
export type DeploymentView = z.infer<typeof DeploymentView>;

/** One generator of the catalogue, with its config's JSON Schema. */
export const GeneratorView = z.object({
  name: z.enum(GENERATOR_NAMES),
  description: z.string(),
  target: z.string(),
  configSchema: z.record(z.string(), z.unknown()),
});
