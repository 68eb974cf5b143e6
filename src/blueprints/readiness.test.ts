// Readiness and the spec, directly: Shipyard decides readyToBuild from the plan (never the model's word), and
// the spec renders any plan into well-formed markdown.
import { describe, expect, it } from "vitest";
import { SOCIAL_WORLD } from "./demo.ts";
import { readiness } from "./readiness.ts";
import { emptyPlan, type Plan } from "./schemas.ts";
import { featureSlug, renderSpec } from "./spec.ts";

const ready = SOCIAL_WORLD.turns.at(-1)!.plan;
const edit = (change: (p: Plan) => void): Plan => {
  const p = structuredClone(ready);
  change(p);
  return p;
};

describe("readiness", () => {
  it("blocks an empty plan on every required section and the summary", () => {
    expect(readiness(emptyPlan())).toEqual({
      readyToBuild: false,
      blockers: ["the summary is missing: say what the feature is for", "the data model is not described yet", "the UI components are not described yet", "the API endpoints are not described yet"],
    });
  });

  it("is ready only when nothing is open, whatever the model says of its sections", () => {
    expect(readiness(ready)).toEqual({ readyToBuild: true, blockers: [] });
    expect(readiness(edit((p) => p.openQuestions.push({ id: "q9", question: "Day and night?" }))).blockers).toEqual(["open question: Day and night?"]);
    // "complete" with nothing in it is not complete.
    expect(readiness(edit((p) => (p.sections.dataModel.entities = []))).blockers).toEqual(["the data model is marked complete but lists no entities"]);
    expect(readiness(edit((p) => (p.sections.designSystem.status = "partial"))).blockers).toEqual(["the design system is only partly worked out"]);
    // An optional section left empty, and a feature with no endpoints of its own, do not block.
    expect(readiness(edit((p) => (p.sections.dependencies.status = "empty"))).readyToBuild).toBe(true);
    expect(ready.sections.apiEndpoints.endpoints).toEqual([]);
  });
});

describe("the spec", () => {
  it("renders the seed's sections, one line per item, and keeps the model's newlines and pipes out of the tables", () => {
    const spec = renderSpec("Social World", edit((p) => (p.sections.dataModel.entities[0]!.fields[0]!.description = "Stable\nid | unique")));
    expect(spec.startsWith("# Feature: Social World\n\n## Summary\n\nA 2D world")).toBe(true);
    expect(spec).toContain("### Agent\n\nSomeone who lives in the world.\n\n| Field | Type | Description |\n|-------|------|-------------|\n| id | number | Stable id \\| unique |");
    expect(spec).toContain("## UI Components\n\n- **WorldCanvas**: Draws the tile map and the agents walking on it\n- **SpeechBubble**:");
    expect(spec).toContain("## API Endpoints\n\n(none)");
    expect(spec).toContain("## Assumptions\n\n- The world runs in the browser; no server API is needed.");
    expect(spec).not.toContain("## Design System");
    expect(renderSpec("Social World", ready)).toBe(renderSpec("Social World", structuredClone(ready)));
  });

  it("names the spec file from the feature", () => {
    expect([featureSlug("Social World"), featureSlug("  Crème brûlée: v2!  "), featureSlug("???"), featureSlug("a".repeat(100)).length]).toEqual(["social-world", "creme-brulee-v2", "feature", 60]);
  });
});
