/** Cross-step checks on a structurally valid workflow: unique ids, known needs, no cycles, valid references. */
import { findCycle } from "./dag.ts";
import type { WorkflowIssue } from "./issues.ts";
import type { SourceLocator } from "./locate.ts";
import { checkReferences } from "./references.ts";
import type { StepDef, WorkflowDef } from "./schema.ts";
import { didYouMean } from "./suggest.ts";

export type StepGroup = "steps" | "teardown";

/** Reports ids used twice, across steps and teardown together. */
function checkDuplicates(def: WorkflowDef, loc: SourceLocator): WorkflowIssue[] {
  const issues: WorkflowIssue[] = [];
  const seen = new Map<string, string>();
  for (const group of ["steps", "teardown"] as const) {
    def[group].forEach((step, index) => {
      const first = seen.get(step.id);
      if (first !== undefined) {
        const message = `duplicate step id "${step.id}" (already used by ${first}); step ids must be unique across steps and teardown`;
        issues.push(loc.issue([group, index, "id"], "duplicate_step", message));
      } else {
        seen.set(step.id, `${group}[${index}]`);
      }
    });
  }
  return issues;
}

/** Reports needs that name no step of the same group. */
function checkNeeds(def: WorkflowDef, group: StepGroup, loc: SourceLocator): WorkflowIssue[] {
  const issues: WorkflowIssue[] = [];
  const own = new Set(def[group].map((step) => step.id));
  const other = new Set(def[group === "steps" ? "teardown" : "steps"].map((step) => step.id));
  def[group].forEach((step, index) => {
    step.needs.forEach((need, j) => {
      if (own.has(need)) return;
      let message: string;
      if (other.has(need) && group === "teardown") {
        message = `teardown steps can only need other teardown steps; "${need}" is a main step (teardown always runs after all main steps finish, so drop it from needs)`;
      } else if (other.has(need)) {
        message = `"${need}" is a teardown step; main steps cannot need teardown steps, which run last`;
      } else {
        const known = [...own].join(", ");
        message = `step "${step.id}" needs unknown step "${need}"${didYouMean(need, own)}; known ${group === "steps" ? "steps" : "teardown steps"}: ${known}`;
      }
      issues.push(loc.issue([group, index, "needs", j], "unknown_step", message));
    });
  });
  return issues;
}

/** Reports the first cycle in a group's needs, at the need that closes it from the first step. */
function checkCycles(steps: readonly StepDef[], group: StepGroup, loc: SourceLocator): WorkflowIssue[] {
  const cycle = findCycle(steps);
  if (!cycle) return [];
  const [from, to] = cycle;
  const index = steps.findIndex((step) => step.id === from);
  const needIndex = steps[index]?.needs.indexOf(to ?? "") ?? -1;
  const message = `cycle in needs: ${cycle.join(" -> ")}; remove one of these needs so the steps can be ordered`;
  return [loc.issue([group, index, "needs", needIndex], "cycle", message)];
}

/** Runs every cross-step check; the workflow must already satisfy the schema. */
export function validateWorkflow(def: WorkflowDef, loc: SourceLocator): WorkflowIssue[] {
  return [
    ...checkDuplicates(def, loc),
    ...checkNeeds(def, "steps", loc),
    ...checkNeeds(def, "teardown", loc),
    ...checkCycles(def.steps, "steps", loc),
    ...checkCycles(def.teardown, "teardown", loc),
    ...checkReferences(def, loc),
  ];
}
