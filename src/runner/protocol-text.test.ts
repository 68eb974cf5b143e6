import { describe, expect, it } from "vitest";
import { RunnerMessage } from "./protocol.ts";

const hello = { type: "hello", protocol: 1, name: "r1", labels: ["linux"], slots: 2, version: "0.1.0", running: [] };

describe("the runner hello", () => {
  it("is refused as a bad message when its labels or version hold text the runners table cannot store", () => {
    expect(RunnerMessage.safeParse(hello).success).toBe(true);
    for (const bad of [{ labels: ["li\u0000nux"] }, { labels: ["x\ud800"] }, { version: "0.1\u0000" }, { version: "\udc00" }, { name: "r\u00001" }]) {
      const parsed = RunnerMessage.safeParse({ ...hello, ...bad });
      expect(parsed.success, JSON.stringify(bad)).toBe(false);
    }
  });
});
