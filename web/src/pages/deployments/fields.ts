// Where the deployment dialog shows each problem the server names: a 422's field path (config.ports.0,
// target.hostUrl) mapped to the form field that holds it.

/** A field of the dialog a problem can be shown at ("form": none fits, shown above the buttons). */
export type Field = "project" | "generator" | "name" | "image" | "ports" | "replicas" | "extra" | "mode" | "commit" | "target" | `target.${string}` | "form";

/** The target fields the dialog asks for, per target kind (the rest of a target keeps its defaults). */
export const TARGET_FIELDS: Record<string, { key: string; label: string; placeholder?: string }[]> = {
  docker: [
    { key: "hostUrl", label: "Docker host (DOCKER_HOST)", placeholder: "ssh://deploy@host (empty: the runner's own engine)" },
    { key: "url", label: "URL to health-check", placeholder: "worked out from the port and host" },
  ],
  kubernetes: [
    { key: "kubeconfigSecret", label: "Secret holding the kubeconfig" },
    { key: "namespace", label: "Namespace", placeholder: "default" },
    { key: "url", label: "URL to health-check", placeholder: "the ingress host" },
  ],
  terraform: [
    { key: "workspace", label: "Terraform workspace" },
    { key: "url", label: "URL to health-check" },
  ],
};

/** The dialog field for a problem's path. The config's own root ("give exactly one of image and build") is the image's. */
export function fieldOf(path: string): Field {
  if (path === "config" || path === "config.image" || path.startsWith("config.build")) return "image";
  const named = /^config\.(name|ports|replicas)(\.|$)/.exec(path);
  if (named) return named[1] as Field;
  if (path.startsWith("config.")) return "extra";
  if (path === "generator" || path === "mode") return path;
  if (path === "direct") return "commit";
  if (path.startsWith("target.")) {
    const key = path.split(".")[1]!;
    return Object.values(TARGET_FIELDS).some((fields) => fields.some((f) => f.key === key)) ? `target.${key}` : "target";
  }
  return path === "target" ? "target" : "form";
}
