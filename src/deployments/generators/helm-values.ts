// The Helm chart's values: their schema (written out as the chart's values.schema.json, so `helm install`
// refuses a mistyped override the way this config refuses a mistyped key) and the defaults an app
// description gives them.
import { z } from "zod";
import { healthPort, imageParts, runImage, type AppDescription } from "./app.ts";
import { portName, secretName, tlsSecretName } from "./k8s-objects.ts";

const Quantity = z.union([z.string(), z.number()]);
const Resources = z.strictObject({ cpu: Quantity.optional(), memory: Quantity.optional() });
const Probe = z.strictObject({ httpGet: z.strictObject({ path: z.string(), port: z.union([z.number().int(), z.string()]) }) });
const AnyMap = z.record(z.string(), z.unknown());

export const HelmValues = z.strictObject({
  replicaCount: z.number().int().min(0),
  image: z.strictObject({
    repository: z.string().min(1),
    pullPolicy: z.enum(["Always", "IfNotPresent", "Never"]),
    tag: z.string(),
    digest: z.string(),
  }),
  imagePullSecrets: z.array(z.strictObject({ name: z.string() })),
  nameOverride: z.string(),
  fullnameOverride: z.string(),
  serviceAccount: z.strictObject({ create: z.boolean(), automount: z.boolean(), annotations: z.record(z.string(), z.string()), name: z.string() }),
  podAnnotations: z.record(z.string(), z.string()),
  podLabels: z.record(z.string(), z.string()),
  podSecurityContext: AnyMap,
  securityContext: AnyMap,
  ports: z.array(z.strictObject({ name: z.string().min(1).max(15), containerPort: z.number().int().min(1).max(65535) })),
  service: z.strictObject({ type: z.enum(["ClusterIP", "NodePort", "LoadBalancer"]) }),
  env: z.record(z.string(), z.string()),
  secretEnv: z.strictObject({ secretName: z.string().min(1), keys: z.array(z.string()) }),
  ingress: z.strictObject({
    enabled: z.boolean(),
    className: z.string(),
    annotations: z.record(z.string(), z.string()),
    hosts: z.array(z.strictObject({ host: z.string(), paths: z.array(z.strictObject({ path: z.string(), pathType: z.enum(["Prefix", "Exact", "ImplementationSpecific"]) })) })),
    tls: z.array(z.strictObject({ secretName: z.string(), hosts: z.array(z.string()) })),
  }),
  resources: z.strictObject({ requests: Resources.optional(), limits: Resources.optional() }),
  livenessProbe: z.union([Probe, z.strictObject({})]),
  readinessProbe: z.union([Probe, z.strictObject({})]),
  autoscaling: z.strictObject({
    enabled: z.boolean(),
    minReplicas: z.number().int().min(1),
    maxReplicas: z.number().int().min(1),
    targetCPUUtilizationPercentage: z.number().int().min(1).max(100),
  }),
  persistence: z.strictObject({
    accessMode: z.enum(["ReadWriteOnce", "ReadWriteOncePod", "ReadWriteMany"]),
    storageClass: z.string(),
    volumes: z.array(z.strictObject({ name: z.string(), mountPath: z.string(), size: z.string() })),
  }),
  nodeSelector: z.record(z.string(), z.string()),
  tolerations: z.array(AnyMap),
  affinity: AnyMap,
});
export type HelmValues = z.infer<typeof HelmValues>;

/** values.schema.json: draft-07, which every Helm 3 release reads. */
export function helmValuesSchema(): object {
  return { ...z.toJSONSchema(HelmValues, { target: "draft-7" }), title: "Values" };
}

/** The chart's default values for an app. */
export function helmValues(app: AppDescription): HelmValues {
  const image = imageParts(runImage(app));
  const port = healthPort(app);
  // The probe names the port when it is one of the container's, as helm create's chart does.
  const probePort = port === undefined ? 0 : app.ports.includes(port) ? portName(app.ports.indexOf(port)) : port;
  const probe: HelmValues["livenessProbe"] = app.healthCheck && port !== undefined ? { httpGet: { path: app.healthCheck.path, port: probePort } } : {};
  const requests = { ...(app.cpu ? { cpu: app.cpu } : {}), ...(app.memory ? { memory: app.memory } : {}) };
  return {
    replicaCount: app.replicas,
    image: { repository: image.repository, pullPolicy: "IfNotPresent", tag: image.tag, digest: image.digest },
    imagePullSecrets: [],
    nameOverride: "",
    fullnameOverride: "",
    serviceAccount: { create: true, automount: false, annotations: {}, name: "" },
    podAnnotations: {},
    podLabels: {},
    podSecurityContext: {},
    securityContext: {},
    ports: app.ports.map((p, i) => ({ name: portName(i), containerPort: p })),
    service: { type: "ClusterIP" },
    env: Object.fromEntries(Object.keys(app.env).sort().map((k) => [k, app.env[k]!])),
    secretEnv: { secretName: secretName(app), keys: [...app.secrets].sort() },
    ingress: {
      enabled: app.ingress !== undefined,
      className: app.ingress?.className ?? "",
      annotations: {},
      hosts: app.ingress ? [{ host: app.ingress.host, paths: [{ path: app.ingress.path, pathType: "Prefix" }] }] : [],
      tls: app.ingress?.tls ? [{ secretName: tlsSecretName(app), hosts: [app.ingress.host] }] : [],
    },
    resources: Object.keys(requests).length > 0 ? { requests, limits: { ...requests } } : {},
    livenessProbe: probe,
    readinessProbe: probe,
    autoscaling: {
      enabled: app.autoscaling !== undefined,
      minReplicas: app.autoscaling?.min ?? 1,
      maxReplicas: app.autoscaling?.max ?? Math.max(app.replicas, 1),
      targetCPUUtilizationPercentage: app.autoscaling?.cpuTarget ?? 80,
    },
    persistence: { accessMode: "ReadWriteOnce", storageClass: "", volumes: app.volumes.map((v) => ({ ...v })) },
    nodeSelector: {},
    tolerations: [],
    affinity: {},
  };
}
