// Kubernetes objects checked offline: each against its kind's JSON schema (kubernetes-models' validate(): types
// and required fields; unknown fields are not refused by those schemas), names as the API server would check
// them, and the references between objects (selectors, the ingress backend, the HPA target, volume claims).
import { Deployment } from "kubernetes-models/apps/v1";
import { HorizontalPodAutoscaler } from "kubernetes-models/autoscaling/v2";
import { Ingress } from "kubernetes-models/networking.k8s.io/v1";
import { ConfigMap, PersistentVolumeClaim, Secret, Service, ServiceAccount } from "kubernetes-models/v1";
import type { GeneratedProblem } from "./spec.ts";

interface Validatable {
  validate(): void;
}
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- each model takes its own kind's data; the parsed YAML is checked by validate()
type ModelClass = new (data: any) => Validatable;

/** The kinds generated files may hold, by apiVersion and kind. */
const MODELS: Record<string, ModelClass> = {
  "apps/v1/Deployment": Deployment,
  "autoscaling/v2/HorizontalPodAutoscaler": HorizontalPodAutoscaler,
  "networking.k8s.io/v1/Ingress": Ingress,
  "v1/Service": Service,
  "v1/ServiceAccount": ServiceAccount,
  "v1/PersistentVolumeClaim": PersistentVolumeClaim,
  "v1/ConfigMap": ConfigMap,
  "v1/Secret": Secret,
};

const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** A parsed object and the file it came from. */
export interface FoundObject {
  file: string;
  object: Record<string, unknown>;
}

type Obj = Record<string, unknown>;
const at = (value: unknown, ...keys: (string | number)[]): unknown =>
  keys.reduce<unknown>((v, k) => (typeof v === "object" && v !== null ? (v as Record<string | number, unknown>)[k] : undefined), value);
const list = (value: unknown): Obj[] => (Array.isArray(value) ? (value as Obj[]) : []);

/** Check each object against its kind's schema and its name. */
function checkObject({ file, object }: FoundObject): GeneratedProblem[] {
  const kind = `${String(object.apiVersion)}/${String(object.kind)}`;
  const Model = MODELS[kind];
  if (!Model) return [{ file, message: `unexpected kind ${kind}` }];
  const problems: GeneratedProblem[] = [];
  try {
    new Model(object).validate();
  } catch (err) {
    const errors = (err as { errors?: { instancePath?: string; message?: string }[] }).errors;
    if (!errors) throw err;
    for (const e of errors) problems.push({ file, pointer: e.instancePath || "/", message: `${String(object.kind)}: ${e.message ?? "invalid"}` });
  }
  const name = at(object, "metadata", "name");
  // Services become DNS labels; the other kinds here take DNS subdomains.
  const pattern = object.kind === "Service" ? DNS_LABEL : DNS_SUBDOMAIN;
  if (typeof name !== "string" || name.length > (object.kind === "Service" ? 63 : 253) || !pattern.test(name)) {
    problems.push({ file, pointer: "/metadata/name", message: `${String(object.kind)}: invalid name ${JSON.stringify(name)}` });
  }
  return problems;
}

/** Cross-object references: selectors match pod labels, and what an Ingress, HPA or volume names exists. */
function checkReferences(objects: FoundObject[]): GeneratedProblem[] {
  const problems: GeneratedProblem[] = [];
  const ofKind = (kind: string) => objects.filter((o) => o.object.kind === kind);
  const named = (kind: string, name: unknown) => ofKind(kind).find((o) => at(o.object, "metadata", "name") === name);
  const matches = (selector: unknown, labels: unknown) =>
    typeof selector === "object" && selector !== null && Object.entries(selector).every(([k, v]) => at(labels, k) === v);
  for (const d of ofKind("Deployment")) {
    if (!matches(at(d.object, "spec", "selector", "matchLabels"), at(d.object, "spec", "template", "metadata", "labels"))) {
      problems.push({ file: d.file, pointer: "/spec/selector", message: "Deployment: selector does not match the pod template's labels" });
    }
    const claims = list(at(d.object, "spec", "template", "spec", "volumes")).map((v) => at(v, "persistentVolumeClaim", "claimName")).filter((c) => c !== undefined);
    for (const claim of claims) if (!named("PersistentVolumeClaim", claim)) problems.push({ file: d.file, message: `Deployment: no PersistentVolumeClaim ${String(claim)}` });
    const account = at(d.object, "spec", "template", "spec", "serviceAccountName");
    if (account !== undefined && !named("ServiceAccount", account)) problems.push({ file: d.file, message: `Deployment: no ServiceAccount ${String(account)}` });
  }
  for (const s of ofKind("Service")) {
    const selector = at(s.object, "spec", "selector");
    if (!ofKind("Deployment").some((d) => matches(selector, at(d.object, "spec", "template", "metadata", "labels")))) {
      problems.push({ file: s.file, pointer: "/spec/selector", message: "Service: selects no Deployment's pods" });
    }
  }
  for (const i of ofKind("Ingress")) {
    for (const rule of list(at(i.object, "spec", "rules"))) {
      for (const p of list(at(rule, "http", "paths"))) {
        const backend = at(p, "backend", "service");
        const service = named("Service", at(backend, "name"));
        const ports = list(at(service?.object, "spec", "ports")).map((sp) => sp.port);
        if (!service || !ports.includes(at(backend, "port", "number"))) {
          problems.push({ file: i.file, pointer: "/spec/rules", message: `Ingress: backend ${String(at(backend, "name"))}:${String(at(backend, "port", "number"))} is no Service's port` });
        }
      }
    }
  }
  for (const h of ofKind("HorizontalPodAutoscaler")) {
    if (!named(String(at(h.object, "spec", "scaleTargetRef", "kind")), at(h.object, "spec", "scaleTargetRef", "name"))) {
      problems.push({ file: h.file, pointer: "/spec/scaleTargetRef", message: "HorizontalPodAutoscaler: its target does not exist" });
    }
  }
  return problems;
}

/** Every problem of a set of objects: each on its own, then their references. */
export function checkKubernetesObjects(objects: FoundObject[]): GeneratedProblem[] {
  return [...objects.flatMap(checkObject), ...checkReferences(objects)];
}
