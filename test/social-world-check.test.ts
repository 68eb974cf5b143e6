// The last step of examples/trees/social-world.yaml, run as the tree runs it (bash, the preview's files in its
// environment) on the world template's own scripts: it passes on a world whose avatars wander and greet, and
// fails on one whose agents stand still or never speak, so the tree's "the agents move" can fail.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parse } from "yaml";

const tree = parse(readFileSync("examples/trees/social-world.yaml", "utf8")) as { steps: { id: string; run?: string }[] };
const script = tree.steps.find((st) => st.id === "moving")!.run!;
const site = (file: string) => readFileSync(path.join("templates", "world", "site", file), "utf8");
const MAIN = site("main.js");
const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

/** The step's script in a fresh directory on `main` (the template's world.js and page). */
function check(main: string): { code: number | null; out: string } {
  const cwd = mkdtempSync(path.join(os.tmpdir(), "social-world-check-"));
  dirs.push(cwd);
  const r = spawnSync("bash", ["-c", script], { cwd, encoding: "utf8", env: { PATH: process.env.PATH, PAGE_HTML: site("index.html"), MAIN_JS: main, WORLD_JS: site("world.js"), CONVERSATIONS_JS: "" } });
  return { code: r.status, out: r.stdout + r.stderr };
}

describe("the social-world tree's motion check", () => {
  it("passes on the world template: its avatars change places and greet each other in speech bubbles", () => {
    const r = check(MAIN);
    expect(r.code, r.out).toBe(0);
    expect(r.out).toMatch(/[2-6] of 6 agents moved in 1800 frames; [1-9]\d* frames show speech bubbles: Hello!/);
  });

  it("fails when the agents stand still", () => {
    const still = MAIN.replace("step(world, Math.min(0.1, (now - last) / 1000));", "");
    expect(still).not.toBe(MAIN);
    const r = check(still);
    expect(r.code).not.toBe(0);
    expect(r.out).toContain("the agents do not move: only 0 changed places");
  });

  it("fails when nobody speaks", () => {
    const silent = MAIN.replace('say(world, a, "Hello!");', "{}");
    expect(silent).not.toBe(MAIN);
    const r = check(silent);
    expect(r.code).not.toBe(0);
    expect(r.out).toContain("no speech bubble appeared in a simulated minute");
  });
});
