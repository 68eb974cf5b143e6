// Defaults read from a checked-out repository, for the fields a user would otherwise type: what builds it (a
// Dockerfile), what it listens on (EXPOSE, a start script's port), what it is called (package.json), and for
// a studio project the template it was made from. Detection only suggests: parseConfig puts the user's config
// over it, and anything unreadable is skipped, never an error.
import { promises as fs } from "node:fs";
import path from "node:path";
import { MANIFEST_FILE, TemplateManifest } from "../../projects/templates.ts";
import { ResourceName, type AppDescription } from "./app.ts";

/** What detection can be told besides the checkout: the manifest of the template a studio project came from. */
export interface DetectOptions {
  template?: TemplateManifest;
  /** The name when neither a package.json nor a template names the app, before the directory's (a clone made for one deployment is named after it, which means nothing). */
  name?: string;
}

async function readText(file: string): Promise<string | undefined> {
  try {
    return await fs.readFile(file, "utf8");
  } catch {
    return undefined;
  }
}

/** A package or directory name made into a resource name ("@acme/My_App" → "my-app"), or undefined. */
export function toResourceName(raw: string): string | undefined {
  const base = raw.split("/").pop() ?? "";
  const name = base.toLowerCase().replace(/[^a-z0-9-]+/g, "-").replace(/^[^a-z]+/, "").slice(0, 40).replace(/-+$/, "");
  return ResourceName.safeParse(name).success ? name : undefined;
}

/** The TCP ports of a Dockerfile's EXPOSE lines (a variable such as $PORT is skipped). */
export function exposedPorts(dockerfile: string): number[] {
  const ports: number[] = [];
  // Continuation lines join first, as Docker reads them.
  for (const line of dockerfile.replace(/\\\r?\n/g, " ").split(/\r?\n/)) {
    const m = /^\s*EXPOSE\s+(.+)$/i.exec(line);
    if (!m) continue;
    for (const spec of m[1]!.trim().split(/\s+/)) {
      const pm = /^([0-9]{1,5})(?:\/(tcp|udp|sctp))?$/i.exec(spec);
      const port = pm ? Number(pm[1]) : NaN;
      if (pm && (pm[2] ?? "tcp").toLowerCase() === "tcp" && port >= 1 && port <= 65535 && !ports.includes(port)) ports.push(port);
    }
  }
  return ports;
}

/** The port a start script names (`--port 8080`, `-p 8080`, `PORT=8080`), else undefined. */
export function startScriptPort(script: string): number | undefined {
  const m = /(?:--port[= ]|-p |\bPORT=)([0-9]{2,5})\b/.exec(script);
  const port = m ? Number(m[1]) : NaN;
  return port >= 1 && port <= 65535 ? port : undefined;
}

const PackageJson = (value: unknown): { name?: string; scripts?: Record<string, unknown> } =>
  typeof value === "object" && value !== null ? (value as { name?: string; scripts?: Record<string, unknown> }) : {};

/** Defaults detected from a checked-out repository: a Dockerfile, a package.json, a studio project's template manifest (templates/<t>/). */
export async function detectApp(repoDir: string, options: DetectOptions = {}): Promise<Partial<AppDescription>> {
  const detected: Partial<AppDescription> = {};
  let ports: number[] = [];

  let template = options.template;
  if (!template) {
    const text = await readText(path.join(repoDir, MANIFEST_FILE));
    const parsed = text === undefined ? undefined : TemplateManifest.safeParse(safeJson(text));
    if (parsed?.success) template = parsed.data;
  }

  const pkgText = await readText(path.join(repoDir, "package.json"));
  const pkg = pkgText === undefined ? undefined : PackageJson(safeJson(pkgText));
  const pkgName = typeof pkg?.name === "string" ? toResourceName(pkg.name) : undefined;
  const start = typeof pkg?.scripts?.start === "string" ? pkg.scripts.start : undefined;
  if (start !== undefined) {
    ports = [startScriptPort(start) ?? 3000];
    detected.env = { NODE_ENV: "production" };
  }

  const dockerfile = await readText(path.join(repoDir, "Dockerfile"));
  if (dockerfile !== undefined) {
    detected.build = { context: ".", dockerfile: "Dockerfile" };
    const exposed = exposedPorts(dockerfile);
    if (exposed.length > 0) ports = exposed;
  }

  // A studio project is a static site: whatever serves its build output listens on HTTP and answers at "/".
  if (template) {
    if (ports.length === 0) ports = [80];
    detected.healthCheck = { path: "/" };
  }

  const name = pkgName ?? (template ? toResourceName(template.name) : undefined) ?? (options.name ? toResourceName(options.name) : undefined) ?? toResourceName(path.basename(path.resolve(repoDir)));
  if (name) detected.name = name;
  if (ports.length > 0) detected.ports = ports;
  return detected;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
