import { trace } from "@opentelemetry/api";
import { describe, expect, it } from "vitest";
import { startOtlpReceiver } from "../../test/helpers/otlp-receiver.ts";
import { createLogger } from "../logger.ts";
import { startTracing } from "./tracing.ts";

describe("startTracing", () => {
  it("sends OTLP protobuf by default to the endpoint, with the service and executor as the resource", async () => {
    const otlp = await startOtlpReceiver();
    const db = { query: () => Promise.reject(new Error("no database in this test")) };
    const tracing = startTracing({ url: `${otlp.url}/v1/traces`, protocol: "http/protobuf", serviceName: "shipyard" }, { db, log: createLogger("silent"), executorId: "exec-proto" });
    try {
      trace.getTracer("test").startSpan("probe-span").end();
      await tracing.flush();
      expect(otlp.requests.map((r) => [r.path, r.contentType])).toEqual([["/v1/traces", "application/x-protobuf"]]);
      // Protobuf keeps strings as they are: the span's name and the resource's values are in the body.
      const body = otlp.requests[0]!.body.toString("latin1");
      for (const s of ["probe-span", "shipyard", "exec-proto"]) expect(body).toContain(s);
    } finally {
      await tracing.stop();
      await otlp.close();
    }
    // Stopped: the global provider is gone, so spans started now go nowhere.
    expect(trace.getTracer("test").startSpan("after").isRecording()).toBe(false);
  });
});
