// STAND-IN for the generators branch (/work/wt/briefs/e-generators.md): the contract's shape with a minimal
// docker-compose generator and one-file placeholders for the others, so the deployment kind can be built and
// tested before that branch lands. At merge, take the generators branch's version of this folder.
import { existsSync, promises as fs } from "node:fs";
import path from "node:path";
import { stringify } from "yaml";
import { z } from "zod";
import { ShipyardError } from "../../domain/errors.ts";

export const GENERATOR_NAMES = ["docker-compose", "helm", "kubernetes", "terraform"] as const;
export type GeneratorName = (typeof GENERATOR_NAMES)[number];

const Name = z.string().regex(/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/, "lowercase letters, digits and dashes");

/** One app, described once for every generator. */
export const AppDescription = z
  .object({
    name: Name.optional(),
    image: z.string().min(1).optional(),
    build: z.object({ context: z.string().default("."), dockerfile: z.string().optional() }).strict().optional(),
    ports: z.array(z.number().int().min(1).max(65535)).default([]),
    env: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/), z.string()).default({}),
    secrets: z.array(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/)).default([]),
    replicas: z.number().int().min(0).max(100).default(1),
    autoscaling: z.object({ min: z.number().int().min(1), max: z.number().int().min(1), cpu: z.number().int().min(1).max(100).default(80) }).strict().optional(),
    cpu: z.string().optional(),
    memory: z.string().optional(),
    healthCheck: z.object({ path: z.string().startsWith("/"), port: z.number().int().min(1).max(65535).optional() }).strict().optional(),
    volumes: z.array(z.object({ name: Name, mountPath: z.string().startsWith("/") }).strict()).default([]),
    ingress: z.object({ host: z.string().min(1), tls: z.boolean().default(false) }).strict().optional(),
  })
  .strict()
  .refine((a) => (a.image === undefined) !== (a.build === undefined), { message: "give exactly one of image and build", path: ["image"] });
export type AppDescription = z.infer<typeof AppDescription>;

export interface GeneratedFile {
  path: string;
  content: string;
}
export interface GeneratedProblem {
  file: string;
  pointer?: string;
  message: string;
}
export interface GeneratorSpec {
  name: GeneratorName;
  description: string;
  config: z.ZodType<AppDescription>;
  configJsonSchema: object;
  render(config: AppDescription): GeneratedFile[];
  validate(files: GeneratedFile[]): Promise<GeneratedProblem[]>;
}

const yamlFile = (p: string, doc: unknown): GeneratedFile => ({ path: p, content: stringify(doc) });

function compose(a: AppDescription): GeneratedFile[] {
  const service: Record<string, unknown> = {
    ...(a.image ? { image: a.image } : { build: a.build }),
    ports: a.ports.map((p) => `${p}:${p}`),
    environment: { ...a.env, ...Object.fromEntries(a.secrets.map((s) => [s, `\${${s}}`])) },
    deploy: { replicas: a.replicas },
  };
  return [yamlFile("deploy/docker-compose/compose.yaml", { services: { [appName(a)]: service } })];
}

const placeholder = (p: string) => (a: AppDescription) => [yamlFile(p, { name: appName(a), image: a.image ?? null, ports: a.ports, replicas: a.replicas })];

function spec(name: GeneratorName, description: string, render: (a: AppDescription) => GeneratedFile[]): GeneratorSpec {
  return { name, description, config: AppDescription, configJsonSchema: z.toJSONSchema(AppDescription, { io: "input", unrepresentable: "any" }), render, validate: async () => [] };
}

export const GENERATORS: Record<GeneratorName, GeneratorSpec> = {
  "docker-compose": spec("docker-compose", "A compose.yaml for docker compose", compose),
  helm: spec("helm", "A Helm chart (stand-in)", placeholder("deploy/helm/app/Chart.yaml")),
  kubernetes: spec("kubernetes", "Plain Kubernetes manifests (stand-in)", placeholder("deploy/kubernetes/app.yaml")),
  terraform: spec("terraform", "Terraform (stand-in)", placeholder("deploy/terraform/main.tf")),
};

/** Defaults detected from a checked-out repository: a Dockerfile, a package.json, a studio project's template manifest (templates/<t>/). */
export async function detectApp(repoDir: string): Promise<Partial<AppDescription>> {
  const dockerfile = path.join(repoDir, "Dockerfile");
  if (!existsSync(dockerfile)) return {};
  const expose = /^\s*EXPOSE\s+(\d+)/im.exec(await fs.readFile(dockerfile, "utf8"));
  return { build: { context: "." }, ...(expose ? { ports: [Number(expose[1])] } : {}) };
}

/** The name objects are given: the description's, else "app". */
export function appName(app: Pick<AppDescription, "name">): string {
  return app.name ?? "app";
}

/** Parse a config for a generator: defaults from detection merged under the user's config; a zod error names the field and reason. */
export function parseConfig(generator: GeneratorName, config: unknown, detected: Partial<AppDescription> = {}): Record<string, unknown> {
  if (typeof config !== "object" || config === null || Array.isArray(config)) throw new ShipyardError("invalid_request", "config: must be an object", 400, { issues: [{ path: "", message: "must be an object" }] });
  // The user's image replaces a detected build (and the other way round): exactly one of them is kept.
  const base: Record<string, unknown> = { ...detected };
  if ("image" in config || "build" in config) {
    delete base.image;
    delete base.build;
  }
  const parsed = GENERATORS[generator].config.safeParse({ ...base, ...config });
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues.flatMap((i) => {
    const at = i.path.map(String);
    return i.code === "unrecognized_keys" ? i.keys.map((k) => ({ path: [...at, k].join("."), message: "unknown key" })) : [{ path: at.join("."), message: i.message }];
  });
  throw new ShipyardError("invalid_request", issues.map((i) => `config${i.path ? `.${i.path}` : ""}: ${i.message}`).join("; "), 400, { issues });
}
