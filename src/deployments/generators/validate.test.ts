// Each generator's check is live: it finds what is wrong with files it did not write right. And the binaries'
// checks (helm lint, terraform init + validate) run when the binary is on the PATH: here stub executables
// that record how they were called.
import { promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GENERATORS, parseConfig, type GeneratedFile, type GeneratedProblem, type GeneratorName } from "./index.ts";

const NO_TOOLS = { toolPath: "/nonexistent" };
const APP = {
  image: "ghcr.io/acme/app:1.0.0",
  ports: [3000],
  autoscaling: { max: 4 },
  cpu: "500m",
  secrets: ["DB_PASSWORD"],
  volumes: [{ name: "data", mountPath: "/data" }],
  ingress: { host: "app.example.com" },
};

const render = (generator: GeneratorName, extra: Record<string, unknown> = {}) => GENERATORS[generator].render(parseConfig(generator, { ...APP, ...extra }));

/** The files with `from` replaced by `to` in the file whose path ends with `suffix` (which must contain it). */
function edit(files: GeneratedFile[], suffix: string, from: string | RegExp, to: string): GeneratedFile[] {
  return files.map((f) => {
    if (!f.path.endsWith(suffix)) return f;
    const content = f.content.replace(from, to);
    expect(content, `${suffix}: ${String(from)}`).not.toBe(f.content);
    return { ...f, content };
  });
}

async function problems(generator: GeneratorName, files: GeneratedFile[]): Promise<GeneratedProblem[]> {
  return GENERATORS[generator].validate(files, NO_TOOLS);
}

describe("docker-compose's check (the compose-spec schema)", () => {
  const files = render("docker-compose");
  it("refuses an unknown key, a wrong type, bad YAML and a missing file", async () => {
    expect(await problems("docker-compose", files)).toEqual([]);
    expect(await problems("docker-compose", edit(files, "compose.yaml", "    ports:", "    prots:"))).toContainEqual({ file: "deploy/docker-compose/compose.yaml", pointer: "/services/app", message: "must NOT have additional properties: prots" });
    expect((await problems("docker-compose", edit(files, "compose.yaml", "replicas: 1", "replicas: [1]"))).map((p) => p.pointer)).toContain("/services/app/deploy/replicas");
    expect(await problems("docker-compose", edit(files, "compose.yaml", "services:", "services: [\n"))).not.toEqual([]);
    expect(await problems("docker-compose", [])).toEqual([{ file: "deploy/docker-compose/compose.yaml", message: "missing" }]);
  });
});

describe("kubernetes's check (kubernetes-models' schemas, names, references)", () => {
  const files = render("kubernetes");
  const messages = async (f: GeneratedFile[]) => (await problems("kubernetes", f)).map((p) => p.message);
  it("refuses wrong types, bad names, unknown kinds and references to nothing", async () => {
    expect(await problems("kubernetes", files)).toEqual([]);
    expect(await problems("kubernetes", edit(files, "deployment.yaml", "containerPort: 3000", "containerPort: http"))).toContainEqual({
      file: "deploy/kubernetes/deployment.yaml",
      pointer: "/spec/template/spec/containers/0/ports/0/containerPort",
      message: "Deployment: must be integer",
    });
    expect(await messages(edit(files, "hpa.yaml", "maxReplicas: 4", "maxReplicas: many"))).toContain("HorizontalPodAutoscaler: must be integer");
    expect(await messages(edit(files, "service.yaml", /name: app\n/, "name: App_1\n"))).toContain('Service: invalid name "App_1"');
    expect(await messages(edit(files, "ingress.yaml", "number: 3000", "number: 3001"))).toContain("Ingress: backend app:3001 is no Service's port");
    expect(await messages(edit(files, "hpa.yaml", /name: app\n(\s+minReplicas)/, "name: other\n$1"))).toContain("HorizontalPodAutoscaler: its target does not exist");
    expect(await messages(edit(files, "service.yaml", /selector:\n(\s+)app.kubernetes.io\/name: app/, "selector:\n$1app.kubernetes.io/name: nope"))).toContain("Service: selects no Deployment's pods");
    expect(await messages(edit(files, "deployment.yaml", "claimName: app-data", "claimName: app-gone"))).toContain("Deployment: no PersistentVolumeClaim app-gone");
    expect(await messages(edit(files, "serviceaccount.yaml", "kind: ServiceAccount", "kind: Role"))).toContain("unexpected kind v1/Role");
  });
});

describe("helm's check (values against values.schema.json, templates)", () => {
  const files = render("helm");
  const messages = async (f: GeneratedFile[]) => (await problems("helm", f)).map((p) => `${p.file}: ${p.message}`);
  it("refuses values the chart's schema refuses, and a v1 or unversioned chart", async () => {
    expect(await problems("helm", files)).toEqual([]);
    expect(await problems("helm", edit(files, "values.yaml", "replicaCount: 1", "replicaCount: one"))).toContainEqual({
      file: "deploy/helm/app/values.yaml",
      pointer: "/replicaCount",
      message: "against values.schema.json: must be integer",
    });
    expect(await messages(edit(files, "values.yaml", "nameOverride:", "nameOveride:"))).toContain("deploy/helm/app/values.yaml: against values.schema.json: must NOT have additional properties: nameOveride");
    expect(await messages(edit(files, "Chart.yaml", "apiVersion: v2", "apiVersion: v1"))).toContain("deploy/helm/app/Chart.yaml: must be v2");
    expect(await messages(edit(files, "Chart.yaml", "version: 0.1.0", "version: one"))).toContain("deploy/helm/app/Chart.yaml: must be a semantic version");
    expect(await messages(files.filter((f) => !f.path.endsWith("Chart.yaml")))).toEqual(["Chart.yaml: no chart (no Chart.yaml)"]);
  });

  it("refuses unbalanced actions, an include of nothing, and a manifest that is not YAML", async () => {
    expect(await messages(edit(files, "templates/hpa.yaml", /\{\{- end \}\}\n$/, ""))).toContain("deploy/helm/app/templates/hpa.yaml: {{ if }} without {{ end }}");
    expect(await messages(edit(files, "templates/service.yaml", '"app.fullname"', '"app.fulname"'))).toContain('deploy/helm/app/templates/service.yaml: includes "app.fulname", which no template defines');
    const broken = await messages(edit(files, "templates/service.yaml", "  type: {{ .Values.service.type }}", "  type: {{ .Values.service.type }}\n   ports: ["));
    expect(broken.some((m) => m.startsWith("deploy/helm/app/templates/service.yaml: not well-formed YAML once its actions are stood in for"))).toBe(true);
  });
});

describe("terraform's check (HCL parsed, references resolved)", () => {
  const files = render("terraform");
  const messages = async (f: GeneratedFile[]) => (await problems("terraform", f)).map((p) => `${p.file}: ${p.message}`);
  it("refuses HCL that does not parse, undeclared variables and resources, and a provider not required", async () => {
    expect(await problems("terraform", files)).toEqual([]);
    expect((await messages(edit(files, "main.tf", /\}\n$/, "")))[0]).toMatch(/^deploy\/terraform\/main\.tf: not valid HCL: .*Unclosed configuration block/);
    expect(await messages(edit(files, "main.tf", "image             = var.image", "image             = var.imag"))).toEqual(["deploy/terraform/main.tf: var.imag is not declared"]);
    expect(await messages(edit(files, "outputs.tf", "kubernetes_service_v1.app.", "kubernetes_service_v1.web."))).toEqual(["deploy/terraform/outputs.tf: kubernetes_service_v1.web is not declared"]);
    expect(await messages(edit(files, "main.tf", /kubernetes = \{[^}]*\}/, 'helm = { source = "hashicorp/helm" }'))).toContain(
      "deploy/terraform/main.tf: kubernetes_deployment_v1.app: provider kubernetes is not in required_providers",
    );
  });
});

describe("the binaries' own checks, when on the PATH", () => {
  let stubs: string;
  let log: string;

  /** A stub executable `name` in the stub directory: it logs its arguments, cwd and environment, then runs `script`. */
  async function stub(name: string, script: string): Promise<void> {
    const text = `#!/bin/sh\n{ echo "ARGS $*"; echo "CWD $(/bin/pwd)"; /usr/bin/env | /usr/bin/sort | /usr/bin/sed 's/^/ENV /'; } >> "${log}"\n${script}\n`;
    await fs.writeFile(path.join(stubs, name), text, { mode: 0o755 });
  }

  beforeAll(async () => {
    stubs = await fs.mkdtemp(path.join(os.tmpdir(), "shipyard-stub-tools-"));
    log = path.join(stubs, "calls.log");
  });
  afterAll(() => fs.rm(stubs, { recursive: true, force: true }));
  const calls = async () => (await fs.readFile(log, "utf8").catch(() => "")).split("\n").filter((l) => l.startsWith("ARGS "));

  it("helm lint runs on the chart written out, and its failure is a problem with its output", async () => {
    await fs.rm(log, { force: true });
    // The stub lists the chart it was given, to prove the files were on disk when it ran.
    await stub("helm", `/bin/ls "$2" "$2/templates" >> "${log}"\nexit 0`);
    const files = render("helm");
    expect(await GENERATORS.helm.validate(files, { toolPath: stubs })).toEqual([]);
    const text = await fs.readFile(log, "utf8");
    const [args] = await calls();
    const chart = /^ARGS lint (\S+)$/.exec(args!)![1]!;
    expect(chart).toMatch(/\/shipyard-generated-[^/]+\/deploy\/helm\/app$/);
    for (const name of ["Chart.yaml", "values.yaml", "values.schema.json", "deployment.yaml", "hpa.yaml"]) expect(text).toContain(`\n${name}\n`);
    // The environment is the check's own: the PATH searched and a HOME of its own, nothing of the host's.
    const env = text.split("\n").filter((l) => l.startsWith("ENV ")).map((l) => l.slice(4).split("=")[0]);
    expect(env.filter((k) => !["PWD", "SHLVL", "_", "OLDPWD"].includes(k!))).toEqual(["HOME", "PATH"]);
    await expect(fs.stat(path.dirname(path.dirname(path.dirname(chart))))).rejects.toThrow();

    await stub("helm", `echo "==> Linting $2"; echo "[ERROR] templates/: parse error in deployment.yaml"; exit 1`);
    const found = await GENERATORS.helm.validate(files, { toolPath: stubs });
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ file: "deploy/helm/app" });
    expect(found[0]!.message).toMatch(/^helm lint failed: ==> Linting .*\n\[ERROR\] templates\/: parse error in deployment\.yaml$/);
  });

  it("terraform init -backend=false then validate -json run in the module; its errors are problems of their files", async () => {
    await fs.rm(log, { force: true });
    const diagnostics = JSON.stringify({
      valid: false,
      diagnostics: [
        { severity: "warning", summary: "Deprecated", range: { filename: "main.tf" } },
        { severity: "error", summary: "Unsupported argument", detail: 'An argument named "foo" is not expected here.', range: { filename: "main.tf" } },
      ],
    });
    await stub("terraform", `case "$2" in init) echo "Terraform has been successfully initialized!"; exit 0;; validate) echo '${diagnostics}'; exit 1;; esac\nexit 2`);
    const found = await GENERATORS.terraform.validate(render("terraform"), { toolPath: stubs });
    expect(found).toEqual([{ file: "deploy/terraform/main.tf", message: 'terraform validate: Unsupported argument: An argument named "foo" is not expected here.' }]);
    const args = await calls();
    expect(args.map((a) => a.replace(/-chdir=\S+\/deploy\/terraform/, "-chdir=MODULE"))).toEqual([
      "ARGS -chdir=MODULE init -backend=false -input=false -no-color",
      "ARGS -chdir=MODULE validate -json -no-color",
    ]);
    expect(await fs.readFile(log, "utf8")).toContain("ENV TF_IN_AUTOMATION=1");
  });

  it("terraform init failing (no provider registry) skips validate and says so, without blaming the files", async () => {
    await fs.rm(log, { force: true });
    await stub("terraform", `echo "Error: Failed to query available provider packages"; exit 1`);
    const skipped: string[] = [];
    const found = await GENERATORS.terraform.validate(render("terraform"), { toolPath: stubs, onSkip: (check, reason) => skipped.push(`${check}: ${reason}`) });
    expect(found).toEqual([]);
    expect(skipped).toEqual(["terraform validate (deploy/terraform): terraform init failed: Error: Failed to query available provider packages"]);
    expect(await calls()).toHaveLength(1);
  });

  it("without the binary on the PATH nothing is run", async () => {
    await fs.rm(log, { force: true });
    const empty = await fs.mkdtemp(path.join(os.tmpdir(), "shipyard-no-tools-"));
    try {
      expect(await GENERATORS.helm.validate(render("helm"), { toolPath: empty })).toEqual([]);
      expect(await GENERATORS.terraform.validate(render("terraform"), { toolPath: empty })).toEqual([]);
      expect(await calls()).toEqual([]);
    } finally {
      await fs.rm(empty, { recursive: true, force: true });
    }
  });
});
