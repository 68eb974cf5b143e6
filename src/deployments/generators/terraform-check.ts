// Terraform files checked offline: each parsed as HCL (@cdktf/hcl2json, HashiCorp's own parser compiled to
// WebAssembly), then what they reference resolved: every var., local. and resource reference names something
// declared, and every resource's provider is required. With `terraform` on the PATH, `terraform init
// -backend=false` and `terraform validate` run too; init fetches the providers from their registry, and when it
// cannot (no network) validate is skipped and the caller told (ValidateOptions.onSkip), not failed.
import path from "node:path";
import { getReferencesInExpression, parse } from "@cdktf/hcl2json";
import type { GeneratedFile, GeneratedProblem, ValidateOptions } from "./spec.ts";
import { locateTool, runTool, tail, withFilesOnDisk } from "./tools.ts";

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);

/** Every string in a parsed file (expressions come back as "${...}" strings). */
function strings(value: unknown, skip: Set<string>, out: string[] = []): string[] {
  if (typeof value === "string") out.push(value);
  else if (Array.isArray(value)) for (const v of value) strings(v, skip, out);
  else if (isObject(value)) for (const [k, v] of Object.entries(value)) if (!skip.has(k)) strings(v, skip, out);
  return out;
}

interface Declared {
  variables: Set<string>;
  locals: Set<string>;
  resources: Set<string>;
  providers: Set<string>;
}

function declare(parsed: Json, d: Declared): void {
  for (const name of Object.keys(isObject(parsed.variable) ? parsed.variable : {})) d.variables.add(name);
  for (const l of Array.isArray(parsed.locals) ? parsed.locals : []) for (const name of Object.keys(isObject(l) ? l : {})) d.locals.add(name);
  for (const [type, byName] of Object.entries(isObject(parsed.resource) ? parsed.resource : {})) {
    for (const name of Object.keys(isObject(byName) ? byName : {})) d.resources.add(`${type}.${name}`);
  }
  for (const t of Array.isArray(parsed.terraform) ? parsed.terraform : []) {
    for (const rp of isObject(t) && Array.isArray(t.required_providers) ? t.required_providers : []) {
      for (const name of Object.keys(isObject(rp) ? rp : {})) d.providers.add(name);
    }
  }
}

/** What a reference names: `var.x`, `local.x`, or `type.name` for a resource (built-ins such as count. and path. pass). */
function unresolved(ref: string, d: Declared): string | undefined {
  const [head, second] = ref.split(/[.[]/);
  if (!head || ["count", "each", "path", "self", "terraform", "module", "data"].includes(head)) return undefined;
  if (head === "var") return second && d.variables.has(second) ? undefined : `var.${second ?? ""} is not declared`;
  if (head === "local") return second && d.locals.has(second) ? undefined : `local.${second ?? ""} is not declared`;
  return d.resources.has(`${head}.${second ?? ""}`) ? undefined : `${head}.${second ?? ""} is not declared`;
}

/** Check a set of .tf files as one or more Terraform modules (a directory each). */
export async function checkTerraformFiles(files: GeneratedFile[]): Promise<GeneratedProblem[]> {
  const problems: GeneratedProblem[] = [];
  const tf = files.filter((f) => f.path.endsWith(".tf"));
  if (tf.length === 0) return [{ file: "main.tf", message: "no Terraform files" }];
  const parsed: { file: GeneratedFile; json: Json }[] = [];
  for (const file of tf) {
    try {
      parsed.push({ file, json: (await parse(file.path, file.content)) as Json });
    } catch (err) {
      problems.push({ file: file.path, message: `not valid HCL: ${(err as Error).message}` });
    }
  }
  for (const dir of new Set(tf.map((f) => path.posix.dirname(f.path)))) {
    const inDir = parsed.filter((p) => path.posix.dirname(p.file.path) === dir);
    const d: Declared = { variables: new Set(), locals: new Set(), resources: new Set(), providers: new Set() };
    for (const p of inDir) declare(p.json, d);
    for (const resource of d.resources) {
      const provider = resource.split("_")[0]!;
      if (!d.providers.has(provider)) problems.push({ file: `${dir}/main.tf`, message: `${resource}: provider ${provider} is not in required_providers` });
    }
    for (const p of inDir) {
      // A variable's type (`string`) and lifecycle's attribute paths (`spec[0].replicas`) are not references.
      const { variable: _variables, ...rest } = p.json;
      // Each distinct expression once: a reference look-up is a call into the WebAssembly parser.
      for (const s of new Set(strings(rest, new Set(["lifecycle"])))) {
        if (!s.includes("${")) continue;
        for (const ref of await getReferencesInExpression(p.file.path, s)) {
          const why = unresolved(ref.value, d);
          if (why) problems.push({ file: p.file.path, message: why });
        }
      }
    }
  }
  return problems;
}

interface Diagnostic {
  severity?: string;
  summary?: string;
  detail?: string;
  range?: { filename?: string };
}

/** `terraform init -backend=false` then `terraform validate -json` in each module's directory. */
async function terraformValidate(files: GeneratedFile[], options: ValidateOptions): Promise<GeneratedProblem[]> {
  const terraform = await locateTool("terraform", options);
  if (!terraform) return [];
  const dirs = [...new Set(files.filter((f) => f.path.endsWith(".tf")).map((f) => path.posix.dirname(f.path)))];
  return withFilesOnDisk(files, async (root) => {
    const problems: GeneratedProblem[] = [];
    const env = { TF_IN_AUTOMATION: "1", TF_INPUT: "0" };
    for (const dir of dirs) {
      const chdir = `-chdir=${path.join(root, dir)}`;
      const run = (args: string[]) => runTool(terraform.binary, [chdir, ...args], { cwd: root, searchPath: terraform.searchPath, timeoutMs: terraform.timeoutMs, env });
      const init = await run(["init", "-backend=false", "-input=false", "-no-color"]);
      // Init fetches the providers from their registry: when it cannot, the files are not at fault.
      if (init.code !== 0) {
        options.onSkip?.(`terraform validate (${dir})`, `terraform init ${init.timedOut ? "timed out" : "failed"}: ${tail(init.output, 5)}`);
        continue;
      }
      const validate = await run(["validate", "-json", "-no-color"]);
      let report: { valid?: boolean; diagnostics?: Diagnostic[] } | undefined;
      try {
        report = JSON.parse(validate.output) as { valid?: boolean; diagnostics?: Diagnostic[] };
      } catch {
        report = undefined;
      }
      if (!report) {
        if (validate.code !== 0) problems.push({ file: dir, message: `terraform validate failed: ${tail(validate.output)}` });
        continue;
      }
      for (const diag of report.diagnostics ?? []) {
        if (diag.severity !== "error") continue;
        const file = diag.range?.filename ? path.posix.join(dir, diag.range.filename) : dir;
        problems.push({ file, message: `terraform validate: ${diag.summary ?? "error"}${diag.detail ? `: ${diag.detail}` : ""}` });
      }
      if (report.valid === false && !(report.diagnostics ?? []).some((x) => x.severity === "error")) problems.push({ file: dir, message: "terraform validate: not valid" });
    }
    return problems;
  });
}

/** Every check of Terraform files: offline first, then terraform's own when it is installed. */
export async function validateTerraform(files: GeneratedFile[], options: ValidateOptions = {}): Promise<GeneratedProblem[]> {
  const offline = await checkTerraformFiles(files);
  // A file that does not parse would only make terraform say so again.
  if (offline.some((p) => p.message.startsWith("not valid HCL"))) return offline;
  return [...offline, ...(await terraformValidate(files, options))];
}
