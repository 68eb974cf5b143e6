// The app description every generator reads: what runs (an image, or a build of the repository), how it is
// reached and sized, and what it is told. Unknown keys are refused (as Kamal and CapRover do): a typo such as
// `replica` must not silently deploy one replica. Secrets are names only; their values never pass through here.
import path from "node:path";
import { z } from "zod";

/** A DNS-1123 label short enough that derived names (`<name>-secrets`, a Helm release) stay within 63. */
export const ResourceName = z
  .string()
  .min(1)
  .max(40)
  .regex(/^[a-z]([-a-z0-9]*[a-z0-9])?$/, "lower-case letters, digits and '-', starting with a letter and not ending with '-'");

// Docker's reference grammar (distribution/reference), without the uppercase-free check of the registry part.
const IMAGE =
  /^(?:[a-zA-Z0-9](?:[a-zA-Z0-9.-]*[a-zA-Z0-9])?(?::[0-9]+)?\/)?[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(?:@sha256:[a-f0-9]{64})?$/;
export const ImageRef = z.string().min(1).max(255).regex(IMAGE, "an image reference such as ghcr.io/acme/app:1.0.0");

export const EnvName = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "letters, digits and '_', not starting with a digit");
/** Any text a process can be given: no NUL (exec strings end there) and no lone surrogate (no UTF-8 for it). */
const EnvValue = z
  .string()
  .max(4096)
  .regex(/^(?:[^\0\uD800-\uDFFF]|[\uD800-\uDBFF][\uDC00-\uDFFF])*$/, "text without NUL characters or lone surrogates");
const Port = z.number().int().min(1).max(65535);
const Hostname = z
  .string()
  .max(253)
  .regex(/^(?:\*\.)?(?:[a-z0-9](?:[-a-z0-9]{0,61}[a-z0-9])?\.)+[a-z](?:[-a-z0-9]{0,61}[a-z0-9])?$/, "a lower-case DNS name such as app.example.com");
/** A path inside the repository: relative, POSIX, normalised, never above it. */
const RepoPath = z
  .string()
  .min(1)
  .max(200)
  .regex(/^[A-Za-z0-9._/@+-]+$/, "letters, digits and . _ / @ + -")
  .refine((p) => !p.startsWith("/") && path.posix.normalize(p) === p && p !== ".." && !p.startsWith("../"), "a relative path inside the repository");
const UrlPath = z
  .string()
  .max(500)
  .regex(/^\/[A-Za-z0-9\-._~!$&'()*+,;=:@%/?]*$/, "a URL path starting with '/'");
/** An ingress path of type Prefix: a URL path without a query. */
const IngressPath = z
  .string()
  .max(500)
  .regex(/^\/[A-Za-z0-9\-._~!$&'()*+,;=:@%/]*$/, "a URL path starting with '/', without '?'");
const MountPath = z
  .string()
  .max(500)
  .regex(/^\/[^\0:\n]*$/, "an absolute path without ':' or a line break")
  .refine((p) => path.posix.normalize(p) === p, "a normalised path");
/** Kubernetes CPU: whole or fractional cores ("0.5", "2") or millicores ("500m"). */
export const Cpu = z.string().regex(/^(?:[1-9][0-9]{0,5}m|[0-9]{1,3}(?:\.[0-9]{1,3})?)$/, "cores such as \"0.5\" or millicores such as \"500m\"").refine((c) => cpuCores(c) > 0, "more than zero");
/** Memory in binary units, which Compose and Kubernetes both read the same way. */
export const Memory = z.string().regex(/^[1-9][0-9]{0,6}(?:Ki|Mi|Gi)$/, "a size in Ki, Mi or Gi such as \"512Mi\"");

/** The fields of an app description, shared by every generator's config (each adds its own options). */
export const appShape = {
  /** Names every object made; defaults to the image's last path segment, else "app". */
  name: ResourceName.optional(),
  /** A published image; exactly one of image and build. */
  image: ImageRef.optional(),
  /**
   * Build the repository's Dockerfile (`context` relative to the repository, `dockerfile` to the context, as
   * Docker reads them); `image` names the built image, which a cluster must be able to pull.
   */
  build: z
    .strictObject({
      context: RepoPath.default("."),
      dockerfile: RepoPath.default("Dockerfile"),
      image: ImageRef.optional(),
    })
    .optional(),
  /** Container ports; the first is the one the service, ingress and health check use by default. */
  ports: z.array(Port).max(20).default([]),
  /** Plain environment variables (values are written into the files: nothing secret here). */
  env: z.record(EnvName, EnvValue).default({}),
  /** Environment variables whose values come from a secret at deploy time: names only. */
  secrets: z.array(EnvName).max(100).default([]),
  replicas: z.number().int().min(1).max(1000).default(1),
  autoscaling: z
    .strictObject({
      min: z.number().int().min(1).max(1000).default(1),
      max: z.number().int().min(1).max(1000),
      cpuTarget: z.number().int().min(1).max(100).default(80),
    })
    .optional(),
  cpu: Cpu.optional(),
  memory: Memory.optional(),
  healthCheck: z.strictObject({ path: UrlPath.default("/"), port: Port.optional() }).optional(),
  volumes: z
    .array(z.strictObject({ name: ResourceName, mountPath: MountPath, size: Memory.default("1Gi") }))
    .max(20)
    .default([]),
  ingress: z
    .strictObject({
      host: Hostname,
      path: IngressPath.default("/"),
      tls: z.boolean().default(false),
      className: ResourceName.optional(),
    })
    .optional(),
};

type AppFields = z.infer<z.ZodObject<typeof appShape>>;

/** The rules across fields, added to every config built on appShape. */
export function checkApp(app: AppFields, ctx: z.RefinementCtx): void {
  if ((app.image === undefined) === (app.build === undefined)) {
    ctx.addIssue({ code: "custom", path: app.image === undefined ? [] : ["build"], message: "give exactly one of image and build" });
  }
  const duplicate = (items: readonly (string | number)[]) => items.find((v, i) => items.indexOf(v) !== i);
  const port = duplicate(app.ports);
  if (port !== undefined) ctx.addIssue({ code: "custom", path: ["ports"], message: `port ${port} is listed twice` });
  const secret = duplicate(app.secrets);
  if (secret !== undefined) ctx.addIssue({ code: "custom", path: ["secrets"], message: `${secret} is listed twice` });
  for (const name of app.secrets) {
    if (Object.hasOwn(app.env, name)) ctx.addIssue({ code: "custom", path: ["secrets"], message: `${name} is also a plain env variable` });
  }
  const volume = duplicate(app.volumes.map((v) => v.name));
  if (volume !== undefined) ctx.addIssue({ code: "custom", path: ["volumes"], message: `volume ${volume} is listed twice` });
  const mount = duplicate(app.volumes.map((v) => v.mountPath));
  if (mount !== undefined) ctx.addIssue({ code: "custom", path: ["volumes"], message: `${mount} is mounted twice` });
  if (app.autoscaling && app.autoscaling.min > app.autoscaling.max) {
    ctx.addIssue({ code: "custom", path: ["autoscaling", "min"], message: "must not be more than max" });
  }
  // The HPA scales on CPU utilisation, a percentage of the CPU request: without one it cannot measure.
  if (app.autoscaling && app.cpu === undefined) ctx.addIssue({ code: "custom", path: ["cpu"], message: "needed with autoscaling (the CPU request utilisation is measured against)" });
  if (app.ingress && app.ports.length === 0) ctx.addIssue({ code: "custom", path: ["ingress"], message: "needs a port to route to (ports)" });
  if (app.healthCheck && app.healthCheck.port === undefined && app.ports.length === 0) {
    ctx.addIssue({ code: "custom", path: ["healthCheck", "port"], message: "needed when ports is empty" });
  }
}

/** The app description alone (no generator's options). */
export const AppDescription = z.strictObject(appShape).superRefine(checkApp);
export type AppDescription = z.infer<typeof AppDescription>;

/** The name objects are given: the description's, else the image's last path segment when it is a valid name. */
export function appName(app: Pick<AppDescription, "name" | "image" | "build">): string {
  if (app.name) return app.name;
  const image = app.image ?? app.build?.image;
  const last = image ? imageParts(image).repository.split("/").pop()! : "";
  const candidate = last.replace(/[^a-z0-9-]+/g, "-").replace(/^[^a-z]+/, "").replace(/-+$/, "").slice(0, 40).replace(/-+$/, "");
  return ResourceName.safeParse(candidate).success ? candidate : "app";
}

/** The image a cluster pulls: the published one, or the name the build is pushed under (`<name>:latest`). */
export function runImage(app: AppDescription): string {
  return app.image ?? app.build?.image ?? `${appName(app)}:latest`;
}

/** An image reference split as Helm's values hold it. */
export function imageParts(image: string): { repository: string; tag: string; digest: string } {
  const [named, digest = ""] = image.split("@") as [string, string?];
  const slash = named.lastIndexOf("/");
  const colon = named.lastIndexOf(":");
  if (colon > slash) return { repository: named.slice(0, colon), tag: named.slice(colon + 1), digest };
  return { repository: named, tag: "", digest };
}

/** The port the service, ingress and health check use. */
export function mainPort(app: AppDescription): number | undefined {
  return app.ports[0];
}

/** The health check's port: its own, else the main port. */
export function healthPort(app: AppDescription): number | undefined {
  return app.healthCheck?.port ?? app.ports[0];
}

/** Cores as a number ("500m" → 0.5). */
export function cpuCores(cpu: string): number {
  return cpu.endsWith("m") ? Number(cpu.slice(0, -1)) / 1000 : Number(cpu);
}
