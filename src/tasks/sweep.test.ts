import { describe, expect, it } from "vitest";
import { loadConfig } from "../config.ts";
import { LOST_GRACE_MS, sweepSchedule } from "./sweep.ts";

describe("the runner sweep's grace", () => {
  it("is SHIPYARD_RUNNER_LOST_AFTER_MS (10 s by default); a value under 100 ms is refused", () => {
    expect(loadConfig({}).runnerLostAfterMs).toBe(LOST_GRACE_MS);
    expect(loadConfig({ SHIPYARD_RUNNER_LOST_AFTER_MS: "1000" }).runnerLostAfterMs).toBe(1000);
    expect(() => loadConfig({ SHIPYARD_RUNNER_LOST_AFTER_MS: "50" })).toThrow(/SHIPYARD_RUNNER_LOST_AFTER_MS/);
  });

  it("ticks every 5 s for the default grace and every second for a short one", () => {
    expect(sweepSchedule(LOST_GRACE_MS)).toBe("*/5 * * * * *");
    expect(sweepSchedule(60_000)).toBe("*/5 * * * * *");
    expect(sweepSchedule(4000)).toBe("*/2 * * * * *");
    expect(sweepSchedule(1000)).toBe("*/1 * * * * *");
  });
});
