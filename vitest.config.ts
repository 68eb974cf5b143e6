import { defineConfig } from "vitest/config";
import { SlowFirstSequencer } from "./test/slow-first-sequencer.ts";

const common = { testTimeout: 60_000, hookTimeout: 120_000, pool: "forks" as const };

/**
 * Unit and direct tests share a few worker processes (no fork and re-import per file: half the time of src/**),
 * except where a module holds process-wide state: DBOS (the job workflow's and the webhook delivery's engines, worker liveness), the preview
 * checks' shared Chromium, the HTTP
 * app's zod-openapi schemas, process handlers, the embedded PostgreSQL, and the YAML depth limit, which counts
 * on a fresh stack. Everything under test/ boots Shipyard (DBOS is one per process) and gets a process per file.
 */
const OWN_PROCESS = [
  "src/server/**/*.test.ts",
  "src/jobs/**/*.test.ts",
  "src/webhooks/**/*.test.ts",
  "src/previews/**/*.test.ts",
  "src/workers/**/*.test.ts",
  "src/db/**/*.test.ts",
  "src/host/**/*.test.ts",
  "src/workflows/limits.test.ts",
];

// One embedded PostgreSQL serves the whole test run (test/global-setup.ts); each suite makes its own database.
export default defineConfig({
  test: {
    globalSetup: ["test/global-setup.ts"],
    fileParallelism: true,
    maxWorkers: 2,
    sequence: { sequencer: SlowFirstSequencer },
    projects: [
      { test: { ...common, name: "shared", include: ["src/**/*.test.ts"], exclude: OWN_PROCESS, isolate: false } },
      { test: { ...common, name: "isolated", include: ["test/**/*.test.ts", ...OWN_PROCESS] } },
    ],
  },
});
