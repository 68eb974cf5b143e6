import { describe, expect, it } from "vitest";
import type { LogLine } from "./protocol.ts";
import { StderrTail } from "./stderr-tail.ts";

const err = (...lines: string[]): LogLine[] => lines.map((line) => ({ stream: "stderr", line, time: "t" }));
const out = (...lines: string[]): LogLine[] => lines.map((line) => ({ stream: "stdout", line, time: "t" }));

describe("StderrTail", () => {
  it("quotes nothing when the step printed nothing on stderr", () => {
    const t = new StderrTail();
    t.add(out("all good on stdout"));
    expect(t.explain("exited with code 1")).toBe("exited with code 1");
  });

  it("quotes the last few stderr lines, not stdout and not blank lines", () => {
    const t = new StderrTail();
    t.add(err(...Array.from({ length: 20 }, (_, i) => `line ${i}`)));
    t.add(out("stdout line"));
    t.add(err("", "   "));
    expect(t.explain("exited with code 1")).toBe("exited with code 1: line 15\nline 16\nline 17\nline 18\nline 19");
  });

  it("stays bounded: long lines are clipped and the whole quote stays short, newest lines kept", () => {
    const t = new StderrTail();
    t.add(err("x".repeat(100_000), "y".repeat(100_000), "the cause"));
    const cause = t.cause()!;
    expect(cause.length).toBeLessThanOrEqual(1000);
    expect(cause.endsWith("the cause")).toBe(true);
  });

  it("quotes an agent's reason line alone when it is the last thing on stderr", () => {
    const t = new StderrTail();
    t.add(err("(node:1) some warning", "✗ agent failed: getaddrinfo ENOTFOUND api.openai.com"));
    expect(t.explain("exited with code 1")).toBe("exited with code 1: agent failed: getaddrinfo ENOTFOUND api.openai.com");
    // Not the last line: a step that reports failures as it goes ends with its own summary, quoted with them.
    t.add(err("2 tests failed"));
    expect(t.cause()).toContain("2 tests failed");
    expect(t.cause()).toContain("✗ agent failed");
  });
});
