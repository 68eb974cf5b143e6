import { describe, expect, it } from "vitest";
import { RepeatFilter } from "./log-repeats.ts";

describe("RepeatFilter", () => {
  it("lets a message through once per window, counting what it held back, and each distinct message on its own", () => {
    let now = 0;
    const f = new RepeatFilter(60_000, () => now);
    expect(f.check("connect ENOENT")).toEqual({ pass: true, held: 0 });
    for (let i = 0; i < 1000; i++) {
      now += 10;
      expect(f.check("connect ENOENT").pass).toBe(false);
    }
    expect(f.check("another queue: connect ENOENT")).toEqual({ pass: true, held: 0 });
    now = 60_000;
    expect(f.check("connect ENOENT")).toEqual({ pass: true, held: 1000 });
    expect(f.check("connect ENOENT").pass).toBe(false);
  });
});
