// Whether a blueprint may be built, decided by Shipyard from the plan itself, never on the model's word: every
// required section complete (and not empty-handed), a summary, and no open question left.
import type { Plan } from "./schemas.ts";

/** The plan's readiness: ready exactly when nothing blocks it. */
export interface Readiness {
  readyToBuild: boolean;
  blockers: string[];
}

const REQUIRED = [
  { key: "dataModel", label: "the data model is", count: (p: Plan) => p.sections.dataModel.entities.length, items: "entities" },
  { key: "uiComponents", label: "the UI components are", count: (p: Plan) => p.sections.uiComponents.components.length, items: "components" },
  // A feature may need no endpoint of its own, so an empty list can be complete; it must still be decided.
  { key: "apiEndpoints", label: "the API endpoints are", count: () => 1, items: "endpoints" },
] as const;

/** What still stands between the plan and a build, in words the user can answer. */
export function readiness(plan: Plan): Readiness {
  const blockers: string[] = [];
  if (!plan.summary.trim()) blockers.push("the summary is missing: say what the feature is for");
  for (const s of REQUIRED) {
    const status = plan.sections[s.key].status;
    if (status !== "complete") blockers.push(`${s.label} ${status === "empty" ? "not described yet" : "only partly worked out"}`);
    else if (s.count(plan) === 0) blockers.push(`${s.label} marked complete but ${s.items === "entities" ? "lists" : "list"} no ${s.items}`);
  }
  // Optional sections block only while half done: started and left partial means something is undecided.
  if (plan.sections.designSystem.status === "partial") blockers.push("the design system is only partly worked out");
  if (plan.sections.dependencies.status === "partial") blockers.push("the dependencies are only partly worked out");
  for (const q of plan.openQuestions) blockers.push(`open question: ${q.question}`);
  return { readyToBuild: blockers.length === 0, blockers };
}
