// The app as resources of Terraform's kubernetes provider: the same objects as the kubernetes generator's
// (k8s-objects.ts), in the provider's block syntax.
import { appName, healthPort, mainPort, type AppDescription } from "./app.ts";
import { attr, block, expr, type HclBlock, type HclBody } from "./hcl.ts";
import { claimName, containerEnv, portName, secretName, tlsSecretName } from "./k8s-objects.ts";

const metadata = (name: string, extra: HclBody = []) =>
  block("metadata", [], [attr("name", name), attr("namespace", expr("var.namespace")), attr("labels", expr("local.labels")), ...extra]);

/** The resources of main.tf (after the terraform, provider and locals blocks). */
export function kubernetesResources(app: AppDescription): HclBlock[] {
  const name = appName(app);
  const port = healthPort(app);
  const probe = (type: string) =>
    app.healthCheck && port !== undefined ? block(type, [], [block("http_get", [], [attr("path", app.healthCheck.path), attr("port", String(port))])]) : undefined;
  const requests: Record<string, string> = { ...(app.cpu ? { cpu: app.cpu } : {}), ...(app.memory ? { memory: app.memory } : {}) };
  const env = containerEnv(app).map((e) =>
    e.valueFrom
      ? block("env", [], [attr("name", e.name), block("value_from", [], [block("secret_key_ref", [], [attr("name", e.valueFrom.secretKeyRef!.name!), attr("key", e.valueFrom.secretKeyRef!.key)])])])
      : block("env", [], [attr("name", e.name), attr("value", e.value!)]),
  );
  const container = block("container", [], [
    attr("name", name),
    attr("image", expr("var.image")),
    attr("image_pull_policy", "IfNotPresent"),
    ...app.ports.map((p, i) => block("port", [], [attr("name", portName(i)), attr("container_port", p), attr("protocol", "TCP")])),
    ...env,
    Object.keys(requests).length > 0 && block("resources", [], [attr("requests", requests), attr("limits", { ...requests })]),
    probe("liveness_probe"),
    probe("readiness_probe"),
    ...app.volumes.map((v) => block("volume_mount", [], [attr("name", v.name), attr("mount_path", v.mountPath)])),
  ]);
  const deployment = block("resource", ["kubernetes_deployment_v1", "app"], [
    metadata(name),
    block("spec", [], [
      !app.autoscaling && attr("replicas", expr("var.replicas")),
      block("selector", [], [attr("match_labels", expr("local.selector"))]),
      // A ReadWriteOnce volume cannot be held by the old and the new pod at once.
      app.volumes.length > 0 && block("strategy", [], [attr("type", "Recreate")]),
      block("template", [], [
        block("metadata", [], [attr("labels", expr("local.labels"))]),
        block("spec", [], [
          attr("service_account_name", expr("kubernetes_service_account_v1.app.metadata[0].name")),
          container,
          ...app.volumes.map((v) => block("volume", [], [attr("name", v.name), block("persistent_volume_claim", [], [attr("claim_name", expr(`kubernetes_persistent_volume_claim_v1.${v.name}.metadata[0].name`))])])),
        ]),
      ]),
    ]),
    // The HPA sets the replica count; Terraform must not set it back.
    app.autoscaling && block("lifecycle", [], [attr("ignore_changes", [expr("spec[0].replicas")])]),
  ]);
  const resources: HclBlock[] = [
    block("resource", ["kubernetes_service_account_v1", "app"], [metadata(name), attr("automount_service_account_token", false)]),
    deployment,
  ];
  for (const v of app.volumes) {
    resources.push(
      block("resource", ["kubernetes_persistent_volume_claim_v1", v.name], [
        metadata(claimName(app, v.name)),
        block("spec", [], [attr("access_modes", ["ReadWriteOnce"]), block("resources", [], [attr("requests", { storage: v.size })])]),
        // Storage classes that bind on first use would hold `apply` until a pod exists.
        attr("wait_until_bound", false),
      ]),
    );
  }
  if (app.ports.length > 0) {
    resources.push(
      block("resource", ["kubernetes_service_v1", "app"], [
        metadata(name),
        block("spec", [], [
          attr("type", "ClusterIP"),
          attr("selector", expr("local.selector")),
          ...app.ports.map((p, i) => block("port", [], [attr("name", portName(i)), attr("port", p), attr("target_port", String(p)), attr("protocol", "TCP")])),
        ]),
      ]),
    );
  }
  const port0 = mainPort(app);
  if (app.ingress && port0 !== undefined) {
    resources.push(
      block("resource", ["kubernetes_ingress_v1", "app"], [
        metadata(name),
        block("spec", [], [
          app.ingress.className !== undefined && attr("ingress_class_name", app.ingress.className),
          app.ingress.tls && block("tls", [], [attr("hosts", [app.ingress.host]), attr("secret_name", tlsSecretName(app))]),
          block("rule", [], [
            attr("host", app.ingress.host),
            block("http", [], [
              block("path", [], [
                attr("path", app.ingress.path),
                attr("path_type", "Prefix"),
                block("backend", [], [block("service", [], [attr("name", expr("kubernetes_service_v1.app.metadata[0].name")), block("port", [], [attr("number", port0)])])]),
              ]),
            ]),
          ]),
        ]),
      ]),
    );
  }
  if (app.autoscaling) {
    resources.push(
      block("resource", ["kubernetes_horizontal_pod_autoscaler_v2", "app"], [
        metadata(name),
        block("spec", [], [
          attr("min_replicas", app.autoscaling.min),
          attr("max_replicas", app.autoscaling.max),
          block("scale_target_ref", [], [attr("api_version", "apps/v1"), attr("kind", "Deployment"), attr("name", expr("kubernetes_deployment_v1.app.metadata[0].name"))]),
          block("metric", [], [
            attr("type", "Resource"),
            block("resource", [], [attr("name", "cpu"), block("target", [], [attr("type", "Utilization"), attr("average_utilization", app.autoscaling.cpuTarget)])]),
          ]),
        ]),
      ]),
    );
  }
  return resources;
}

/** The labels every object carries and the subset pods are selected by. */
export function kubernetesLocals(app: AppDescription): HclBlock {
  const selector = { "app.kubernetes.io/name": appName(app) };
  return block("locals", [], [attr("selector", selector), attr("labels", { ...selector, "app.kubernetes.io/managed-by": "shipyard" })]);
}

/** The note main.tf carries about the Secret it reads and never holds. */
export function secretNote(app: AppDescription): string {
  return app.secrets.length > 0 ? `\nThe secret env variables are read from the Secret ${secretName(app)} (keys: ${app.secrets.join(", ")}), created outside Terraform.` : "";
}
