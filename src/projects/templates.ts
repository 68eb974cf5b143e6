// The project templates (templates/<name>/ in this repository): each a directory of files and a manifest that
// says how the project builds and proves itself. The build and verify commands run in a project's checkout on a
// runner, in the step sandbox, without network: a template whose build needs packages uses Shipyard's own,
// through a read-only link to its node_modules.
import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { z } from "zod";
import { shellQuote, verifyScript } from "../git/scripts.ts";

/** The catalogue shipped with Shipyard. */
export const TEMPLATES_DIR = fileURLToPath(new URL("../../templates/", import.meta.url));

/** The manifest's own file in a template directory (it is not copied into projects). */
export const MANIFEST_FILE = "template.json";

export const TemplateName = z.string().min(1).max(50).regex(/^[a-z0-9][a-z0-9-]*$/, "lower-case letters, digits and '-'");

/** A directory inside the checkout: relative, normalised, never the checkout itself or above it. */
const OutputDir = z
  .string()
  .min(1)
  .max(200)
  .regex(/^[A-Za-z0-9._/-]+$/, "letters, digits, '.', '_', '-' and '/'")
  .refine(
    (p) => !p.startsWith("/") && path.posix.normalize(p) === p && p !== "." && p !== ".." && !p.startsWith("../") && !p.endsWith("/"),
    "a normalised relative path inside the checkout, not the checkout itself",
  );

const Command = z.string().min(1).max(2000);

export const TemplateManifest = z
  .object({
    name: TemplateName,
    title: z.string().min(1).max(100),
    description: z.string().min(1).max(500),
    /** `shipyard`: the build uses Shipyard's own node_modules (linked into the checkout); `none`: no packages. */
    packages: z.enum(["none", "shipyard"]).default("none"),
    /** Run in the checkout; leaves the site in `output`. */
    build: Command,
    /** The directory the build leaves, with an index.html. */
    output: OutputDir,
    /** Commands that prove the project works, run in the checkout (each must exit 0). */
    verify: z.array(Command).min(1).max(20),
  })
  .strict();
export type TemplateManifest = z.infer<typeof TemplateManifest>;

/** A template of the catalogue: its manifest and the directory holding its files. */
export interface Template {
  manifest: TemplateManifest;
  dir: string;
}

/** What GET /templates shows of a template. */
export interface TemplateSummary {
  name: string;
  title: string;
  description: string;
}

/** The templates projects can be created from. */
export class TemplateCatalogue {
  private readonly byName: Map<string, Template>;

  constructor(templates: Template[]) {
    this.byName = new Map(templates.map((t) => [t.manifest.name, t]));
  }

  /** Every template, by name. */
  list(): TemplateSummary[] {
    return [...this.byName.values()]
      .map(({ manifest: { name, title, description } }) => ({ name, title, description }))
      .sort((a, b) => a.name.localeCompare(b.name));
  }

  /** The template called `name`, or undefined. */
  get(name: string): Template | undefined {
    return this.byName.get(name);
  }

  /** The names, sorted (for messages). */
  names(): string[] {
    return this.list().map((t) => t.name);
  }
}

/** Read one template directory; throws with the file and the problem when its manifest is wrong. */
export function loadTemplate(dir: string): Template {
  const file = path.join(dir, MANIFEST_FILE);
  const parsed = TemplateManifest.safeParse(JSON.parse(readFileSync(file, "utf8")));
  if (!parsed.success) throw new Error(`${file}: ${parsed.error.issues.map((i) => `${i.path.join(".") || "manifest"}: ${i.message}`).join("; ")}`);
  if (parsed.data.name !== path.basename(dir)) throw new Error(`${file}: name "${parsed.data.name}" must be the directory's name "${path.basename(dir)}"`);
  return { manifest: parsed.data, dir };
}

/** Every template under `dir` (a directory per template). */
export function loadCatalogue(dir: string = TEMPLATES_DIR): TemplateCatalogue {
  const names = readdirSync(dir).filter((name) => statSync(path.join(dir, name)).isDirectory());
  return new TemplateCatalogue(names.sort().map((name) => loadTemplate(path.join(dir, name))));
}

// Shipyard's node_modules, shown read-only in every sandbox under the runner's SHIPYARD_HOME. `ln -sfn` replaces
// an earlier link (the installation may have moved) but a real directory is left alone: the project installed
// its own packages.
function linkPackages(m: TemplateManifest): string {
  if (m.packages !== "shipyard") return "";
  return `if [ ! -d node_modules ] || [ -L node_modules ]; then
  ln -sfn "\${SHIPYARD_HOME:?the runner did not set SHIPYARD_HOME}/node_modules" node_modules
fi
`;
}

/** Shell text that readies a checkout (cwd) for the template's commands; safe to run any number of times. */
export function templatePrepareScript(m: TemplateManifest): string {
  return `# shipyard: prepare the checkout (${m.name} template)
set -eo pipefail
${linkPackages(m)}`;
}

/**
 * Shell text that builds a checkout (cwd) of a project made from the template: prepare, remove the previous
 * output, run the build, and fail unless the output directory has an index.html. Safe to run twice.
 */
export function templateBuildScript(m: TemplateManifest): string {
  const output = shellQuote(m.output);
  return `${templatePrepareScript(m)}# shipyard: build (${m.name} template)
rm -rf -- ${output}
bash --noprofile --norc -eo pipefail -c ${shellQuote(m.build)}
if [ ! -f ${output}/index.html ]; then
  echo "shipyard: the build left no ${m.output}/index.html" >&2
  exit 1
fi
echo "built ${m.output}/ ($(find ${output} -type f | wc -l) files)"
`;
}

/** Shell text that runs the template's verify commands in a checkout (cwd), after preparing it. */
export function templateVerifyScript(m: TemplateManifest): string {
  return `${templatePrepareScript(m)}${verifyScript(m.verify)}`;
}
