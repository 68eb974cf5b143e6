import { describe, expect, it } from "vitest";
import { loadConfig } from "../config.ts";

const tracing = (env: Record<string, string>) => loadConfig(env, "/tmp").tracing;

describe("tracing settings from the OpenTelemetry variables", () => {
  it("is off when no endpoint is set, or when the SDK or the exporter is switched off", () => {
    expect(tracing({})).toBeNull();
    expect(tracing({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector:4318", OTEL_SDK_DISABLED: "TRUE" })).toBeNull();
    expect(tracing({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector:4318", OTEL_TRACES_EXPORTER: "none" })).toBeNull();
  });

  it("appends /v1/traces to the general endpoint and takes the traces endpoint as it is", () => {
    expect(tracing({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector:4318/" })).toEqual({
      url: "http://collector:4318/v1/traces",
      protocol: "http/protobuf",
      serviceName: "shipyard",
    });
    expect(
      tracing({
        OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector:4318",
        OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: "http://traces:9999/custom",
        OTEL_EXPORTER_OTLP_PROTOCOL: "http/json",
        OTEL_SERVICE_NAME: "shipyard-eu",
      }),
    ).toEqual({ url: "http://traces:9999/custom", protocol: "http/json", serviceName: "shipyard-eu" });
  });

  it("refuses grpc (not shipped) and a malformed endpoint with the config's readable error", () => {
    expect(() => tracing({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://c:4317", OTEL_EXPORTER_OTLP_PROTOCOL: "grpc" })).toThrow(/OTEL_EXPORTER_OTLP_PROTOCOL: grpc is not supported/);
    expect(() => tracing({ OTEL_EXPORTER_OTLP_ENDPOINT: "collector" })).toThrow(/OTEL_EXPORTER_OTLP_ENDPOINT/);
  });
});
