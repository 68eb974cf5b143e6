// The app as resources of Terraform's docker provider (kreuzwerker/docker): one Docker host, as docker-compose
// targets, with Terraform's state. Replicas are containers of one `count`, each publishing the next host port.
// What needs a cluster (autoscaling, an ingress) has no resource here.
import path from "node:path";
import { appName, healthPort, type AppDescription } from "./app.ts";
import { attr, block, expr, type HclBlock, type HclValue } from "./hcl.ts";

/** The Terraform variable a secret env variable's value is given in (sensitive, no default). */
export const secretVariable = (env: string) => `secret_${env}`;

/** Memory in the provider's unit, MiB. */
const mebibytes = (m: string) => {
  const n = Number(m.slice(0, -2));
  return m.endsWith("Gi") ? n * 1024 : m.endsWith("Ki") ? Math.max(1, Math.ceil(n / 1024)) : n;
};

/** The resources of main.tf for the docker provider; `tfDir` is where main.tf sits in the repository. */
export function dockerResources(app: AppDescription, tfDir: string): HclBlock[] {
  const name = appName(app);
  const port = healthPort(app);
  const image = block("resource", ["docker_image", "app"], [
    attr("name", expr("var.image")),
    attr("keep_locally", true),
    app.build &&
      block("build", [], [
        // Validated repository paths hold no quote, backslash or `$`: safe inside this template string.
        attr("context", expr(`"\${path.module}/${path.posix.relative(tfDir, app.build.context) || "."}"`)),
        attr("dockerfile", app.build.dockerfile),
      ]),
  ]);
  const env: HclValue[] = [
    ...Object.keys(app.env).sort().map((k) => `${k}=${app.env[k]!}`),
    ...[...app.secrets].sort().map((k) => expr(`"${k}=\${var.${secretVariable(k)}}"`)),
  ];
  const container = block("resource", ["docker_container", "app"], [
    attr("count", expr("var.replicas")),
    attr("name", expr(`"${name}-\${count.index}"`)),
    attr("image", expr("docker_image.app.image_id")),
    attr("restart", "unless-stopped"),
    env.length > 0 && attr("env", env),
    app.memory !== undefined && attr("memory", mebibytes(app.memory)),
    ...app.ports.map((p) => block("ports", [], [attr("internal", p), attr("external", expr(`${p} + count.index`))])),
    app.healthCheck &&
      port !== undefined &&
      block("healthcheck", [], [
        attr("test", ["CMD", "wget", "-q", "--spider", `http://127.0.0.1:${port}${app.healthCheck.path}`]),
        attr("interval", "10s"),
        attr("timeout", "5s"),
        attr("retries", 3),
        attr("start_period", "10s"),
      ]),
    ...app.volumes.map((v) => block("volumes", [], [attr("volume_name", expr(`docker_volume.${v.name}.name`)), attr("container_path", v.mountPath)])),
  ]);
  return [image, ...app.volumes.map((v) => block("resource", ["docker_volume", v.name], [attr("name", `${name}-${v.name}`)])), container];
}
