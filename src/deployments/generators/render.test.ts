// Each generator's output for a few app descriptions: valid by the generator's own check, byte-for-byte the
// reviewed snapshot (__snapshots__/<generator>-<case>.txt), deterministic, and faithful to odd strings.
import { parse as parseHcl } from "@cdktf/hcl2json";
import { describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { GENERATOR_NAMES, GENERATORS, parseConfig, type GeneratedFile, type GeneratorName } from "./index.ts";

const NO_TOOLS = { toolPath: "/nonexistent" };

/** Values a YAML 1.1 reader or a template engine would misread if they were not quoted or escaped. */
const ODD_ENV = {
  QUOTES: `it's "quoted"`,
  COLON: "key: value # not a comment",
  UNICODE: "ünïcödé ✓ 日本語",
  DOLLAR: "${HOME} $(HOSTNAME) $$ %{if} \\n",
  BOOLISH: "on",
  OCTAL: "0777",
  LIST: "- item",
  MULTILINE: "line one\nline two\ttabbed",
  EMPTY: "",
};

const CASES: Record<string, Record<string, unknown>> = {
  minimal: { image: "ghcr.io/acme/app:1.0.0", ports: [3000] },
  // The issue's own example.
  example: { image: "ghcr.io/acme/app:1.0.0", ports: [3000], replicas: 2, env: { LOG_LEVEL: "info" }, ingress: { host: "app.example.com" } },
  full: {
    name: "shop",
    build: { context: ".", dockerfile: "docker/Dockerfile", image: "registry.example.com/acme/shop:2.3.4" },
    ports: [8080, 9090],
    env: { LOG_LEVEL: "debug", FEATURES: "a,b" },
    secrets: ["DATABASE_URL", "STRIPE_KEY"],
    replicas: 3,
    autoscaling: { min: 2, max: 10, cpuTarget: 70 },
    cpu: "250m",
    memory: "256Mi",
    healthCheck: { path: "/healthz", port: 8080 },
    volumes: [{ name: "uploads", mountPath: "/srv/uploads", size: "5Gi" }],
    ingress: { host: "shop.example.com", path: "/", tls: true, className: "nginx" },
  },
  odd: {
    name: "odd-app",
    image: "localhost:5000/odd/app@sha256:" + "a".repeat(64),
    ports: [80],
    env: ODD_ENV,
    healthCheck: { path: "/health?probe='$x'&y=1" },
    volumes: [{ name: "data", mountPath: "/var/lib/odd data/ü" }],
  },
};

/** Every file of a render in one text, as the snapshot holds it. */
const asText = (files: GeneratedFile[]) => files.map((f) => `=== ${f.path}\n${f.content}`).join("\n");

/** A Helm chart's fixed files (templates, schema, .helmignore) are the same for every app: snapshotted once, in "full". */
const HELM_FIXED = /\/(templates\/.*|values\.schema\.json|\.helmignore)$/;
const snapshotted = (generator: GeneratorName, name: string, files: GeneratedFile[]) =>
  generator === "helm" && name !== "full" ? files.filter((f) => !HELM_FIXED.test(f.path)) : files;

function render(generator: GeneratorName, config: Record<string, unknown>) {
  return GENERATORS[generator].render(parseConfig(generator, config));
}

describe.each(GENERATOR_NAMES)("%s", (generator) => {
  it.each(Object.keys(CASES))("renders %s valid, sorted, deterministic and as reviewed", async (name) => {
    const files = render(generator, CASES[name]!);
    expect(await GENERATORS[generator].validate(files, NO_TOOLS)).toEqual([]);
    expect(files.map((f) => f.path)).toEqual(files.map((f) => f.path).sort());
    for (const f of files) expect(f.path).toMatch(/^deploy\/[A-Za-z0-9._/-]+$/);
    expect(asText(render(generator, CASES[name]!))).toBe(asText(files));
    await expect(asText(snapshotted(generator, name, files))).toMatchFileSnapshot(`./__snapshots__/${generator}-${name}.txt`);
  });

  it("publishes a JSON Schema of its config that refuses unknown keys", () => {
    const schema = GENERATORS[generator].configJsonSchema as { type: string; additionalProperties: boolean; properties: Record<string, unknown> };
    expect(schema.type).toBe("object");
    expect(schema.additionalProperties).toBe(false);
    expect(Object.keys(schema.properties)).toEqual(expect.arrayContaining(["image", "build", "ports", "env", "secrets", "replicas", "autoscaling", "cpu", "memory", "healthCheck", "volumes", "ingress"]));
  });
});

it("a Helm chart's fixed files differ from app to app only in the chart's name", () => {
  const fixed = (name: string) =>
    render("helm", CASES[name]!)
      .filter((f) => HELM_FIXED.test(f.path))
      .map((f) => ({ path: f.path.replace(/^deploy\/helm\/[^/]+\//, ""), content: f.content.replace(/"[a-z0-9-]+\.(name|fullname|chart|labels|selectorLabels|serviceAccountName|image)"/g, '"CHART.$1"') }));
  for (const name of ["minimal", "example", "odd"]) expect(fixed(name)).toEqual(fixed("full"));
  expect(fixed("full").map((f) => f.path)).toContain("templates/hpa.yaml");
});

describe("the terraform generator's docker provider", () => {
  it.each(["full", "odd"])("renders %s valid and as reviewed", async (name) => {
    const files = render("terraform", { ...CASES[name]!, provider: "docker" });
    expect(await GENERATORS.terraform.validate(files, NO_TOOLS)).toEqual([]);
    await expect(asText(files)).toMatchFileSnapshot(`./__snapshots__/terraform-docker-${name}.txt`);
  });
});

describe("odd strings reach the app as they were written", () => {
  const file = (files: GeneratedFile[], suffix: string) => files.find((f) => f.path.endsWith(suffix))!.content;

  it("docker-compose: every `$` doubled (compose interpolates), nothing else changed", () => {
    const doc = parseYaml(file(render("docker-compose", CASES.odd!), "compose.yaml")) as { services: Record<string, { environment: Record<string, string>; volumes: { target: string }[] }> };
    const svc = doc.services["odd-app"]!;
    for (const [k, v] of Object.entries(ODD_ENV)) expect(svc.environment[k]!.replaceAll("$$", () => "$"), k).toBe(v);
    expect(svc.environment.DOLLAR).toBe("$${HOME} $$(HOSTNAME) $$$$ %{if} \\n");
    expect(svc.volumes[0]!.target).toBe("/var/lib/odd data/ü");
  });

  it("kubernetes: `$(` doubled (Kubernetes expands it), read back as YAML 1.1 as kubectl does", () => {
    const doc = parseYaml(file(render("kubernetes", CASES.odd!), "deployment.yaml"), { version: "1.1" }) as {
      spec: { template: { spec: { containers: { env: { name: string; value: string }[] }[] } } };
    };
    const env = Object.fromEntries(doc.spec.template.spec.containers[0]!.env.map((e) => [e.name, e.value]));
    for (const [k, v] of Object.entries(ODD_ENV)) expect(env[k]!.replaceAll("$$(", () => "$("), k).toBe(v);
    expect(env.BOOLISH).toBe("on");
    expect(env.OCTAL).toBe("0777");
  });

  it("helm: values.yaml holds the values exactly (the template escapes `$(` when it renders)", () => {
    const values = parseYaml(file(render("helm", CASES.odd!), "values.yaml"), { version: "1.1" }) as { env: Record<string, string>; image: Record<string, string> };
    expect(values.env).toEqual(ODD_ENV);
    expect(values.image).toEqual({ repository: "localhost:5000/odd/app", pullPolicy: "IfNotPresent", tag: "", digest: `sha256:${"a".repeat(64)}` });
    expect(file(render("helm", CASES.odd!), "templates/deployment.yaml")).toContain(`value: {{ replace "$(" "$$(" $value | quote }}`);
  });

  it("terraform: HCL strings read back as written once `$${` and `%%{` are undone (and, on Kubernetes, `$$(`)", async () => {
    for (const provider of ["kubernetes", "docker"]) {
      const main = file(render("terraform", { ...CASES.odd!, provider }), "main.tf");
      const json = JSON.stringify(await parseHcl("main.tf", main));
      for (const v of Object.values(ODD_ENV)) {
        const k8s = provider === "kubernetes" ? v.replaceAll("$(", () => "$$(") : v;
        // hcl2json hands strings back as templates, with their escapes kept.
        const written = JSON.stringify(k8s).slice(1, -1).replaceAll("${", () => "$${").replaceAll("%{", () => "%%{");
        expect(json, `${provider}: ${v}`).toContain(written);
      }
    }
  });
});
