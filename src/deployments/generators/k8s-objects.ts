// The Kubernetes objects an app description becomes, typed by kubernetes-models. The kubernetes generator writes
// them as they are; the Helm chart's templates lay out the same objects.
import type { IDeployment } from "kubernetes-models/apps/v1";
import type { IHorizontalPodAutoscaler } from "kubernetes-models/autoscaling/v2";
import type { IIngress } from "kubernetes-models/networking.k8s.io/v1";
import type { IEnvVar, IPersistentVolumeClaim, IService, IServiceAccount } from "kubernetes-models/v1";
import { appName, healthPort, mainPort, runImage, type AppDescription } from "./app.ts";

/** Kubernetes expands `$(VAR)` in env values: a literal one is written `$$(VAR)`. */
export const k8sEnvValue = (value: string) => value.replaceAll("$(", "$$$$(");

/** The Secret the app's secret env variables are read from (created by whoever holds the values, never here). */
export const secretName = (app: AppDescription) => `${appName(app)}-secrets`;
export const tlsSecretName = (app: AppDescription) => `${appName(app)}-tls`;
export const claimName = (app: AppDescription, volume: string) => `${appName(app)}-${volume}`;
/** The name of the i-th port: the first is "http", as Helm's charts call it. */
export const portName = (i: number) => (i === 0 ? "http" : `port-${i}`);

/** The plain and secret env variables of the container, sorted by name. */
export function containerEnv(app: AppDescription): IEnvVar[] {
  const plain: IEnvVar[] = Object.keys(app.env).map((name) => ({ name, value: k8sEnvValue(app.env[name]!) }));
  const secret: IEnvVar[] = app.secrets.map((name) => ({ name, valueFrom: { secretKeyRef: { name: secretName(app), key: name } } }));
  return [...plain, ...secret].sort((a, b) => (a.name < b.name ? -1 : 1));
}

export interface KubernetesObjects {
  serviceAccount: IServiceAccount;
  deployment: IDeployment;
  service?: IService;
  ingress?: IIngress;
  hpa?: IHorizontalPodAutoscaler;
  claims: IPersistentVolumeClaim[];
}

/** Every object of the app, in a namespace when one is given. */
export function kubernetesObjects(app: AppDescription, namespace?: string): KubernetesObjects {
  const name = appName(app);
  const selector = { "app.kubernetes.io/name": name };
  const labels = { ...selector, "app.kubernetes.io/managed-by": "shipyard" };
  const metadata = (objectName: string) => ({ name: objectName, ...(namespace ? { namespace } : {}), labels });
  const port = healthPort(app);
  const probe = app.healthCheck && port !== undefined ? { httpGet: { path: app.healthCheck.path, port } } : undefined;
  // Requests equal to limits: the pod gets what it asks for and no more (and the HPA measures against it).
  const requests: Record<string, string> = { ...(app.cpu ? { cpu: app.cpu } : {}), ...(app.memory ? { memory: app.memory } : {}) };
  const resources = Object.keys(requests).length > 0 ? { requests, limits: { ...requests } } : undefined;
  const env = containerEnv(app);

  const deployment: IDeployment = {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: metadata(name),
    spec: {
      // With an HPA the replica count is the HPA's to set.
      ...(app.autoscaling ? {} : { replicas: app.replicas }),
      selector: { matchLabels: selector },
      // A ReadWriteOnce volume cannot be held by the old and the new pod at once.
      ...(app.volumes.length > 0 ? { strategy: { type: "Recreate" } } : {}),
      template: {
        metadata: { labels },
        spec: {
          serviceAccountName: name,
          containers: [
            {
              name,
              image: runImage(app),
              imagePullPolicy: "IfNotPresent",
              ...(app.ports.length > 0 ? { ports: app.ports.map((p, i) => ({ name: portName(i), containerPort: p, protocol: "TCP" })) } : {}),
              ...(env.length > 0 ? { env } : {}),
              ...(resources ? { resources } : {}),
              ...(probe ? { livenessProbe: probe, readinessProbe: probe } : {}),
              ...(app.volumes.length > 0 ? { volumeMounts: app.volumes.map((v) => ({ name: v.name, mountPath: v.mountPath })) } : {}),
            },
          ],
          ...(app.volumes.length > 0 ? { volumes: app.volumes.map((v) => ({ name: v.name, persistentVolumeClaim: { claimName: claimName(app, v.name) } })) } : {}),
        },
      },
    },
  };
  const objects: KubernetesObjects = {
    serviceAccount: { apiVersion: "v1", kind: "ServiceAccount", metadata: metadata(name), automountServiceAccountToken: false },
    deployment,
    claims: app.volumes.map((v) => ({
      apiVersion: "v1",
      kind: "PersistentVolumeClaim",
      metadata: metadata(claimName(app, v.name)),
      spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: v.size } } },
    })),
  };
  if (app.ports.length > 0) {
    objects.service = {
      apiVersion: "v1",
      kind: "Service",
      metadata: metadata(name),
      spec: { type: "ClusterIP", selector, ports: app.ports.map((p, i) => ({ name: portName(i), port: p, targetPort: p, protocol: "TCP" })) },
    };
  }
  const port0 = mainPort(app);
  if (app.ingress && port0 !== undefined) {
    const host = app.ingress.host;
    objects.ingress = {
      apiVersion: "networking.k8s.io/v1",
      kind: "Ingress",
      metadata: metadata(name),
      spec: {
        ...(app.ingress.className ? { ingressClassName: app.ingress.className } : {}),
        ...(app.ingress.tls ? { tls: [{ hosts: [host], secretName: tlsSecretName(app) }] } : {}),
        rules: [{ host, http: { paths: [{ path: app.ingress.path, pathType: "Prefix", backend: { service: { name, port: { number: port0 } } } }] } }],
      },
    };
  }
  if (app.autoscaling) {
    objects.hpa = {
      apiVersion: "autoscaling/v2",
      kind: "HorizontalPodAutoscaler",
      metadata: metadata(name),
      spec: {
        scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name },
        minReplicas: app.autoscaling.min,
        maxReplicas: app.autoscaling.max,
        metrics: [{ type: "Resource", resource: { name: "cpu", target: { type: "Utilization", averageUtilization: app.autoscaling.cpuTarget } } }],
      },
    };
  }
  return objects;
}
