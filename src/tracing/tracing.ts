import { context, diag, DiagLogLevel, propagation, trace } from "@opentelemetry/api";
import { OTLPTraceExporter as JsonExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { OTLPTraceExporter as ProtobufExporter } from "@opentelemetry/exporter-trace-otlp-proto";
import { detectResources, envDetector, resourceFromAttributes } from "@opentelemetry/resources";
import { BatchSpanProcessor, NodeTracerProvider } from "@opentelemetry/sdk-trace-node";
import type { Queryable } from "../db/pool.ts";
import type { Logger } from "../logger.ts";
import { OperationSpans } from "./operation-spans.ts";
import type { TracingSettings } from "./settings.ts";
import { traceReads } from "./trace-reads.ts";

/** Tracing while it runs: the process's tracer provider, registered globally (DBOS draws its spans from it). */
export interface Tracing {
  /** Draw what is pending and send every ended span now. */
  flush(): Promise<void>;
  /** Flush, then stop exporting and unregister the provider. */
  stop(): Promise<void>;
}

export interface TracingDeps {
  db: Queryable;
  log: Logger;
  /** This process's executor id, the resource's `service.instance.id`. */
  executorId: string;
}

/**
 * Register an OpenTelemetry tracer provider that batches spans to the OTLP/HTTP endpoint of `settings`.
 * Call it before DBOS launches with `tracingEnabled`: DBOS then starts its workflow and step spans on this
 * provider (it only installs one of its own when none is there), and `OperationSpans` adds Shipyard's.
 */
export function startTracing(settings: TracingSettings, deps: TracingDeps): Tracing {
  const log = deps.log.child({ component: "tracing" });
  // Export failures are reported here, not thrown: without a logger they would vanish.
  diag.setLogger(
    { error: (m) => log.warn(m), warn: (m) => log.warn(m), info: () => undefined, debug: () => undefined, verbose: () => undefined },
    DiagLogLevel.WARN,
  );
  const exporter = settings.protocol === "http/json" ? new JsonExporter({ url: settings.url }) : new ProtobufExporter({ url: settings.url });
  // OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES, when set, win over these defaults.
  const resource = resourceFromAttributes({ "service.name": settings.serviceName, "service.instance.id": deps.executorId }).merge(
    detectResources({ detectors: [envDetector] }),
  );
  const operations = new OperationSpans(
    traceReads(deps.db),
    () => provider.getTracer("shipyard"),
    (err) => log.warn({ err: err.message }, "step spans not drawn"),
  );
  const provider: NodeTracerProvider = new NodeTracerProvider({ resource, spanProcessors: [operations, new BatchSpanProcessor(exporter)] });
  provider.register();
  log.info({ url: settings.url, protocol: settings.protocol }, "tracing to OTLP endpoint");
  return {
    // Step spans are drawn first: the batch processor would otherwise flush before they reach it.
    async flush() {
      await operations.settled();
      await provider.forceFlush();
    },
    async stop() {
      await operations.settled();
      await provider.shutdown();
      // A later start in this process (tests do that) registers its own provider.
      trace.disable();
      context.disable();
      propagation.disable();
      diag.disable();
    },
  };
}
