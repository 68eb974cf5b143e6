import { z } from "zod";

/** How spans leave the process: OTLP over HTTP, as protobuf (the OTLP default) or JSON. */
export type OtlpProtocol = "http/protobuf" | "http/json";

/** Tracing as configured; null in Config when no OTLP endpoint is set (then nothing is traced at all). */
export interface TracingSettings {
  /** Where spans are POSTed (the signal path included). */
  url: string;
  protocol: OtlpProtocol;
  serviceName: string;
}

const protocol = z
  .enum(["http/protobuf", "http/json", "grpc"])
  .optional()
  .refine((p) => p !== "grpc", "grpc is not supported: use http/protobuf (the default) or http/json");

/**
 * The standard OpenTelemetry variables Shipyard reads, as fields of the config's environment schema. Headers,
 * timeouts, certificates and compression (`OTEL_EXPORTER_OTLP_HEADERS` and the rest) are read by the exporter
 * itself, and `OTEL_RESOURCE_ATTRIBUTES` by the SDK.
 */
export const TRACING_ENV = {
  OTEL_SDK_DISABLED: z.string().optional(),
  OTEL_TRACES_EXPORTER: z.enum(["otlp", "none"]).optional(),
  OTEL_EXPORTER_OTLP_ENDPOINT: z.string().url().optional(),
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: z.string().url().optional(),
  OTEL_EXPORTER_OTLP_PROTOCOL: protocol,
  OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: protocol,
  OTEL_SERVICE_NAME: z.string().min(1).optional(),
};

type TracingEnv = z.infer<z.ZodObject<typeof TRACING_ENV>>;

/**
 * Tracing settings from the parsed variables, per the OpenTelemetry spec: the traces endpoint is used as is,
 * the general one gets `/v1/traces` appended; either one turns tracing on unless the SDK or the exporter is off.
 */
export function tracingFrom(e: TracingEnv): TracingSettings | null {
  if (e.OTEL_SDK_DISABLED?.trim().toLowerCase() === "true" || e.OTEL_TRACES_EXPORTER === "none") return null;
  const url = e.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ?? (e.OTEL_EXPORTER_OTLP_ENDPOINT && `${e.OTEL_EXPORTER_OTLP_ENDPOINT.replace(/\/+$/, "")}/v1/traces`);
  if (!url) return null;
  const p = e.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL ?? e.OTEL_EXPORTER_OTLP_PROTOCOL ?? "http/protobuf";
  return { url, protocol: p === "http/json" ? "http/json" : "http/protobuf", serviceName: e.OTEL_SERVICE_NAME ?? "shipyard" };
}
