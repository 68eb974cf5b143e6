// A Helm chart checked offline. No maintained npm package renders Go templates with Helm's functions, so the
// templates are not rendered here: the checks are that Chart.yaml is a v2 chart, that values.yaml validates
// against the chart's own values.schema.json (as `helm install` would check it), that every template's actions
// are balanced and every `include` names a defined template, and that each manifest template is well-formed
// YAML of Kubernetes objects once its actions are stood in for. With `helm` on the PATH, `helm lint` runs too.
import path from "node:path";
import { compileSchemaText, schemaErrors } from "./json-schema-check.ts";
import type { GeneratedFile, GeneratedProblem, ValidateOptions } from "./spec.ts";
import { locateTool, runTool, tail, withFilesOnDisk } from "./tools.ts";
import { parseYamlDocuments } from "./yaml-output.ts";

const SEMVER = /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$/;
const ACTION = /\{\{-?\s*([\s\S]*?)\s*-?\}\}/g;
const OPENERS = new Set(["if", "range", "with", "define", "block"]);

/** Balanced actions (every if/range/with/define/block has its end), and the templates defined and included. */
export function scanTemplate(text: string): { problems: string[]; defines: string[]; includes: string[] } {
  const problems: string[] = [];
  const defines: string[] = [];
  const includes: string[] = [];
  const open: string[] = [];
  if ((text.match(/\{\{/g) ?? []).length !== (text.match(/\}\}/g) ?? []).length) problems.push("unbalanced {{ and }}");
  for (const m of text.matchAll(ACTION)) {
    const body = m[1]!;
    if (body.startsWith("/*")) continue;
    const word = /^[a-z]+/.exec(body)?.[0] ?? "";
    if (OPENERS.has(word)) open.push(word);
    if (word === "end" && open.pop() === undefined) problems.push("an {{ end }} without its opening action");
    if (word === "else" && open.length === 0) problems.push("an {{ else }} outside a block");
    const define = /^define\s+"([^"]+)"/.exec(body);
    if (define) defines.push(define[1]!);
    for (const inc of body.matchAll(/\b(?:include|template)\s+"([^"]+)"/g)) includes.push(inc[1]!);
  }
  if (open.length > 0) problems.push(`{{ ${open.join(" }}, {{ ")} }} without {{ end }}`);
  return { problems, defines, includes };
}

/** The template with its actions stood in for: action-only lines dropped, inline actions made a plain word. */
export function standIn(text: string): string {
  return text
    .split("\n")
    .filter((line) => line.replace(ACTION, "").trim() !== "" || !line.includes("{{"))
    .map((line) => line.replace(ACTION, "x"))
    .join("\n");
}

function checkTemplates(chartDir: string, files: GeneratedFile[]): GeneratedProblem[] {
  const problems: GeneratedProblem[] = [];
  const templates = files.filter((f) => f.path.startsWith(`${chartDir}/templates/`));
  const scans = templates.map((f) => ({ file: f, ...scanTemplate(f.content) }));
  const defined = new Set(scans.flatMap((s) => s.defines));
  for (const s of scans) {
    problems.push(...s.problems.map((message) => ({ file: s.file.path, message })));
    for (const name of s.includes) if (!defined.has(name)) problems.push({ file: s.file.path, message: `includes "${name}", which no template defines` });
    if (!/\.ya?ml$/.test(s.file.path) || s.problems.length > 0) continue;
    const { values, errors } = parseYamlDocuments(standIn(s.file.content));
    problems.push(...errors.map((message) => ({ file: s.file.path, message: `not well-formed YAML once its actions are stood in for: ${message}` })));
    for (const v of values) {
      const o = v as Record<string, unknown>;
      if (typeof o !== "object" || typeof o.apiVersion !== "string" || typeof o.kind !== "string") problems.push({ file: s.file.path, message: "a document without apiVersion and kind" });
    }
  }
  return problems;
}

function checkChart(chartDir: string, files: GeneratedFile[]): GeneratedProblem[] {
  const byPath = new Map(files.map((f) => [f.path, f.content]));
  const problems: GeneratedProblem[] = [];
  const chartFile = `${chartDir}/Chart.yaml`;
  const chart = parseYamlDocuments(byPath.get(chartFile) ?? "");
  problems.push(...chart.errors.map((message) => ({ file: chartFile, message })));
  const meta = (chart.values[0] ?? {}) as Record<string, unknown>;
  if (meta.apiVersion !== "v2") problems.push({ file: chartFile, pointer: "/apiVersion", message: "must be v2" });
  if (meta.name !== path.posix.basename(chartDir)) problems.push({ file: chartFile, pointer: "/name", message: "must be the chart directory's name" });
  if (typeof meta.version !== "string" || !SEMVER.test(meta.version)) problems.push({ file: chartFile, pointer: "/version", message: "must be a semantic version" });

  const valuesFile = `${chartDir}/values.yaml`;
  const schemaFile = `${chartDir}/values.schema.json`;
  const values = parseYamlDocuments(byPath.get(valuesFile) ?? "");
  problems.push(...values.errors.map((message) => ({ file: valuesFile, message })));
  if (!byPath.has(valuesFile)) problems.push({ file: valuesFile, message: "missing" });
  const schemaText = byPath.get(schemaFile);
  if (schemaText !== undefined) {
    try {
      const validate = compileSchemaText(schemaText);
      if (!validate(values.values[0] ?? {})) problems.push(...schemaErrors(validate.errors).map((e) => ({ file: valuesFile, ...e, message: `against values.schema.json: ${e.message}` })));
    } catch (err) {
      problems.push({ file: schemaFile, message: `not a usable JSON Schema: ${(err as Error).message}` });
    }
  }
  return [...problems, ...checkTemplates(chartDir, files)];
}

/** Every chart among `files` (a directory holding Chart.yaml), checked offline, then with `helm lint` when helm is installed. */
export async function validateHelmCharts(files: GeneratedFile[], options: ValidateOptions = {}): Promise<GeneratedProblem[]> {
  const charts = files.filter((f) => path.posix.basename(f.path) === "Chart.yaml").map((f) => path.posix.dirname(f.path));
  if (charts.length === 0) return [{ file: "Chart.yaml", message: "no chart (no Chart.yaml)" }];
  const problems = charts.flatMap((dir) => checkChart(dir, files));
  const helm = await locateTool("helm", options);
  if (helm) {
    await withFilesOnDisk(files, async (root) => {
      for (const chart of charts) {
        const run = await runTool(helm.binary, ["lint", path.join(root, chart)], { cwd: root, searchPath: helm.searchPath, timeoutMs: helm.timeoutMs });
        if (run.code !== 0) problems.push({ file: chart, message: `helm lint ${run.timedOut ? "timed out" : "failed"}: ${tail(run.output)}` });
      }
    });
  }
  return problems;
}
