import { describe, expect, it } from "vitest";
import { loadConfig } from "../config.ts";
import { DEFAULT_RETRY_SCHEDULE, parseRetrySchedule, retryAfterSeconds, secondsBeforeAttempt } from "./retry-schedule.ts";

describe("the webhook retry schedule", () => {
  it("is the Standard Webhooks schedule unless SHIPYARD_WEBHOOK_RETRY_SCHEDULE overrides it", () => {
    expect(DEFAULT_RETRY_SCHEDULE).toEqual([0, 5, 5 * 60, 30 * 60, 2 * 3600, 5 * 3600, 10 * 3600, 10 * 3600]);
    expect(loadConfig({}).webhookRetrySchedule).toBeUndefined();
    expect(loadConfig({ SHIPYARD_WEBHOOK_RETRY_SCHEDULE: "0, 0.5,2" }).webhookRetrySchedule).toEqual([0, 0.5, 2]);
    for (const bad of ["", "1,,2", "-1", "a,b", "1;2"]) expect(() => loadConfig({ SHIPYARD_WEBHOOK_RETRY_SCHEDULE: bad }), bad).toThrow(/SHIPYARD_WEBHOOK_RETRY_SCHEDULE/);
    expect(() => parseRetrySchedule("5,999999999")).toThrow(TypeError);
  });

  it("waits the schedule's time, or a longer Retry-After on 429/503, up to 10 h", () => {
    const s = [0, 5, 300, 1800];
    expect(secondsBeforeAttempt(s, 1, 500, "600")).toBe(5);
    expect(secondsBeforeAttempt(s, 1, 429, "60")).toBe(60);
    expect(secondsBeforeAttempt(s, 1, 503, "2")).toBe(5);
    expect(secondsBeforeAttempt(s, 1, 503, "999999")).toBe(36000);
    expect(secondsBeforeAttempt(s, 2, null, "60")).toBe(300);
    expect(secondsBeforeAttempt(s, 1, 429, "soon")).toBe(5);
    const now = Date.parse("2026-12-01T10:00:00Z");
    expect(secondsBeforeAttempt(s, 1, 429, "Tue, 01 Dec 2026 10:02:00 GMT", now)).toBe(120);
    expect(retryAfterSeconds("Tue, 01 Dec 2026 09:00:00 GMT", now)).toBe(0);
  });
});
