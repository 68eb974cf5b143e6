import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RUN_WORKFLOW } from "../src/runs/workflow.ts";
import { startOtlpReceiver, type OtlpReceiver } from "./helpers/otlp-receiver.ts";
import { runToEnd, startTestShipyard, waitFor, type TestShipyard } from "./helpers/shipyard.ts";

let otlp: OtlpReceiver;
let s: TestShipyard;

beforeAll(async () => {
  otlp = await startOtlpReceiver();
  s = await startTestShipyard({
    env: { OTEL_EXPORTER_OTLP_ENDPOINT: otlp.url, OTEL_EXPORTER_OTLP_PROTOCOL: "http/json", SHIPYARD_EXECUTOR_ID: "traced-1" },
  });
});
afterAll(async () => {
  await s?.stop();
  await otlp?.close();
});

// `flaky` fails its first attempt and succeeds on the retry (the workspace outlives the attempt).
const WORKFLOW = `
name: traced
steps:
  - id: build
    run: echo built
  - id: flaky
    needs: build
    retry: { max: 1, backoff: 10ms }
    run: |
      if [ -f tried ]; then echo ok; else touch tried; exit 7; fi
`;

describe("tracing over OTLP/HTTP", () => {
  it("exports the run's workflow span, its DBOS steps and one span per step attempt, parented to the run", async () => {
    const run = await runToEnd(s, WORKFLOW);
    expect(run.status).toBe("succeeded");
    const runSpan = () => otlp.spans.find((x) => x.name === RUN_WORKFLOW && x.attributes["dbos.operation.workflow_id"] === run.id);
    const inTrace = () => otlp.spans.filter((x) => x.traceId === runSpan()?.traceId);
    // The batch processor sends on its own schedule; the step spans are drawn by the time the run span ends.
    await waitFor(async () => inTrace().filter((x) => x.name.startsWith("step ")).length === 3, 20_000, "the run's spans");

    const spans = inTrace();
    expect(spans.filter((x) => x.name === RUN_WORKFLOW)).toHaveLength(1);
    const wf = runSpan()!;
    expect(wf.parentSpanId).toBeUndefined();
    expect(wf.attributes).toMatchObject({
      "dbos.operation.type": "workflow",
      "shipyard.operation.id": run.id,
      "shipyard.operation.kind": "workflow",
      "shipyard.workspace.id": expect.stringMatching(/\S/),
    });
    expect(wf.resource).toMatchObject({ "service.name": "shipyard", "service.instance.id": "traced-1" });

    // DBOS's own steps of the run (its advances; the first one, of a run without a concurrency key, is made by
    // createRun outside the workflow) are children of the workflow span.
    const advances = spans.filter((x) => x.name.startsWith("advance:"));
    // Each waits for the next result, then applies it.
    expect(advances.map((x) => x.name)).toContain("advance:next");
    for (const a of advances) expect(a.parentSpanId).toBe(wf.spanId);
    // Those after the first (which starts before the operation is looked up) carry the operation too.
    expect(advances.filter((a) => a.attributes["shipyard.operation.id"] === run.id).length).toBeGreaterThanOrEqual(advances.length - 1);

    // One span per attempt of each step, under the run, with the step's id, attempt and outcome.
    const steps = spans.filter((x) => x.name.startsWith("step ")).sort((a, b) => Number(a.startNs - b.startNs));
    expect(steps.map((x) => [x.name, x.attributes["shipyard.step.attempt"], x.attributes["shipyard.step.status"], x.attributes["process.exit.code"]])).toEqual([
      ["step build", 1, "succeeded", 0],
      ["step flaky", 1, "failed", 7],
      ["step flaky", 2, "succeeded", 0],
    ]);
    for (const st of steps) {
      expect(st.parentSpanId).toBe(wf.spanId);
      expect(st.attributes).toMatchObject({ "shipyard.step.id": st.name.slice(5), "shipyard.task.id": expect.stringContaining(run.id), "shipyard.runner.id": expect.any(String) });
      expect(st.events.map((e) => e.name)).toEqual(["assigned"]);
      expect(st.endNs).toBeGreaterThanOrEqual(st.startNs);
    }
    expect(steps[1]!.status.code).toBe(2); // ERROR
    expect(steps[2]!.status.code).toBe(1); // OK
    expect(otlp.requests.every((r) => r.path === "/v1/traces")).toBe(true);
  });
});
