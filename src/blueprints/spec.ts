// The spec document a blueprint build commits to the project (docs/specs/<slug>.md) and builds from: the
// plan rendered as markdown, in the seed's shape, deterministic (same plan, same bytes).
import type { Plan } from "./schemas.ts";

/** A feature name as a file name: lower case words joined by dashes (`Social World` → `social-world`). */
export function featureSlug(featureName: string): string {
  const slug = featureName.normalize("NFKD").replace(/[\u0300-\u036f]/g, "").toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "").slice(0, 60).replace(/-+$/, "");
  return slug || "feature";
}

/** Where a blueprint's spec lives in the project. */
export function specPath(slug: string): string {
  return `docs/specs/${slug}.md`;
}

// Table cells and list items are one line each: a newline or a pipe from the model must not break the table.
const cell = (s: string) => s.replace(/\s*\n\s*/g, " ").replace(/\|/g, "\\|").trim();

/** The markdown spec of a plan. */
export function renderSpec(featureName: string, plan: Plan): string {
  const { dataModel, apiEndpoints, uiComponents, designSystem, dependencies } = plan.sections;
  const out: string[] = [`# Feature: ${cell(featureName)}`, "", "## Summary", "", plan.summary.trim() || "(none)", ""];
  out.push("## Data Model", "");
  if (dataModel.entities.length === 0) out.push("(none)", "");
  for (const e of dataModel.entities) {
    out.push(`### ${cell(e.name)}`, "");
    if (e.description.trim()) out.push(cell(e.description), "");
    out.push("| Field | Type | Description |", "|-------|------|-------------|");
    for (const f of e.fields) out.push(`| ${cell(f.name)} | ${cell(f.type)} | ${cell(f.description)} |`);
    out.push("");
  }
  out.push("## API Endpoints", "");
  out.push(...(apiEndpoints.endpoints.length ? apiEndpoints.endpoints.map((ep) => `- \`${ep.method} ${cell(ep.path)}\` - ${cell(ep.description)}`) : ["(none)"]), "");
  out.push("## UI Components", "");
  out.push(...(uiComponents.components.length ? uiComponents.components.map((c) => `- **${cell(c.name)}**: ${cell(c.purpose)}`) : ["(none)"]), "");
  if (designSystem.status !== "empty") {
    out.push("## Design System", "");
    if (designSystem.colors.length) out.push(`- Colors: ${designSystem.colors.map((c) => `${cell(c.name)} \`${cell(c.value)}\``).join(", ")}`);
    if (designSystem.typography.length) out.push(`- Typography: ${designSystem.typography.map((t) => `${cell(t.name)}: ${cell([t.fontFamily, t.size, t.weight].filter(Boolean).join(" "))}`).join("; ")}`);
    if (designSystem.spacing.length) out.push(`- Spacing: ${designSystem.spacing.map((n) => `${n}px`).join(", ")}`);
    if (designSystem.borderRadius) out.push(`- Border radius: ${cell(designSystem.borderRadius)}`);
    if (designSystem.inspirationNotes.trim()) out.push("", designSystem.inspirationNotes.trim());
    out.push("");
  }
  if (dependencies.items.length) out.push("## Dependencies", "", ...dependencies.items.map((d) => `- **${cell(d.name)}**: ${cell(d.purpose)}`), "");
  if (plan.assumptions.length) out.push("## Assumptions", "", ...plan.assumptions.map((a) => `- ${cell(a)}`), "");
  return out.join("\n");
}
