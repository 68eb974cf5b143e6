import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startInMemoryApp, type InMemoryApp } from "../../test/helpers/in-memory-app.ts";
import { EVENT_TYPES, StoredEventSchema } from "./catalogue.ts";

let t: InMemoryApp;
beforeAll(async () => {
  t = await startInMemoryApp("catalogue");
});
afterAll(async () => {
  await t?.close();
});

describe("the event catalogue", () => {
  it("is the API's Event schema: one variant per event type, each with its payload's fields", async () => {
    const doc = (await (await t.request("/api/v1/openapi.json")).json()) as {
      components: { schemas: { Event: { oneOf: { properties: { type: { enum: string[] }; payload: { properties: Record<string, unknown> } } }[] } } };
    };
    const variants = doc.components.schemas.Event.oneOf;
    expect(variants.map((v) => v.properties.type.enum[0]).sort()).toEqual([...EVENT_TYPES].sort());
    const step = variants.find((v) => v.properties.type.enum[0] === "step")!;
    expect(Object.keys(step.properties.payload.properties)).toEqual(expect.arrayContaining(["stepId", "attempt", "status", "nextAttempt"]));
  });

  it("accepts the events Shipyard writes and refuses a payload that is not its type's", () => {
    const base = { operationId: "run_x", seq: 1, time: "2025-01-01T00:00:00.000Z" };
    expect(StoredEventSchema.safeParse({ ...base, type: "step", payload: { stepId: "a", attempt: 1, status: "lost", reason: "runner lost", nextAttempt: 2 } }).success).toBe(true);
    expect(StoredEventSchema.safeParse({ ...base, type: "status", payload: { status: "cancelling" } }).success).toBe(true);
    expect(StoredEventSchema.safeParse({ ...base, type: "step", payload: { status: "running" } }).success).toBe(false);
    expect(StoredEventSchema.safeParse({ ...base, type: "output", payload: {} }).success).toBe(false);
  });
});
