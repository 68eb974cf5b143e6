import { describe, expect, it } from "vitest";
import { findCycle, nextActions, type StepDef, type StepStatus, topologicalOrder, transitiveNeeds } from "./index.ts";

const step = (id: string, needs: string[] = []): StepDef => ({ id, kind: "run", run: "true", needs, env: {}, retry: { max: 0, backoffMs: 1000 } });
const diamond = [step("a"), step("b", ["a"]), step("c", ["a"]), step("d", ["b", "c"])];

describe("findCycle", () => {
  it("returns null for a DAG", () => {
    expect(findCycle(diamond)).toBeNull();
  });
  it("returns the cycle path following needs, first node repeated", () => {
    expect(findCycle([step("a", ["b"]), step("b", ["c"]), step("c", ["a"])])).toEqual(["a", "b", "c", "a"]);
  });
  it("finds a cycle that does not include the first step", () => {
    expect(findCycle([step("x"), step("y", ["x", "z"]), step("z", ["y"])])).toEqual(["y", "z", "y"]);
  });
  it("finds self-loops and ignores unknown needs", () => {
    expect(findCycle([step("a", ["a"])])).toEqual(["a", "a"]);
    expect(findCycle([step("a", ["ghost"])])).toBeNull();
  });
});

describe("topologicalOrder", () => {
  it("puts every step after its needs, otherwise keeping document order", () => {
    const steps = [step("d", ["b", "c"]), step("c", ["a"]), step("b", ["a"]), step("a"), step("e")];
    const order = topologicalOrder(steps);
    expect(order).toEqual(["a", "c", "b", "d", "e"]);
    for (const s of steps) for (const need of s.needs) expect(order.indexOf(need)).toBeLessThan(order.indexOf(s.id));
  });
  it("throws on a cycle", () => {
    expect(() => topologicalOrder([step("a", ["b"]), step("b", ["a"])])).toThrow("cycle in needs: a -> b -> a");
  });
});

describe("transitiveNeeds", () => {
  it("collects direct and indirect needs", () => {
    expect([...transitiveNeeds(diamond, "d")].sort()).toEqual(["a", "b", "c"]);
    expect([...transitiveNeeds(diamond, "a")]).toEqual([]);
  });
});

describe("nextActions on a diamond", () => {
  const next = (status: Record<string, StepStatus>): string[] => nextActions(diamond, status).start;
  it.each<[Record<string, StepStatus>, string[]]>([
    [{}, ["a"]],
    [{ a: "pending", b: "pending", c: "pending", d: "pending" }, ["a"]],
    [{ a: "running" }, []],
    [{ a: "succeeded" }, ["b", "c"]],
    [{ a: "succeeded", b: "queued" }, ["c"]],
    [{ a: "succeeded", b: "succeeded", c: "running" }, []],
    [{ a: "succeeded", b: "succeeded", c: "failed" }, ["d"]],
    [{ a: "failed" }, ["b", "c"]],
    [{ a: "failed", b: "skipped", c: "cancelled" }, ["d"]],
    [{ a: "succeeded", b: "succeeded", c: "succeeded", d: "succeeded" }, []],
  ])("status %j starts %j", (status, want) => {
    expect(next(status)).toEqual(want);
  });
});
