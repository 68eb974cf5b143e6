import path from "node:path";
import { BaseSequencer, type TestSpecification } from "vitest/node";

/**
 * The slowest files (10-60 s each on a quiet 2-core machine), slowest first. vitest starts the files it has timed
 * before longest first; on a fresh checkout (CI) it has no timings and would start the largest files first, which
 * left short files like jobs-crash and db-supervision to run alone at the end.
 */
const SLOWEST = [
  "test/builds-crash.test.ts",
  "test/builds.test.ts",
  "test/jobs-properties.test.ts",
  "test/scale-out.test.ts",
  "test/cli.test.ts",
  "test/jobs-crash.test.ts",
  "test/jobs-builtin.test.ts",
  "test/crash.test.ts",
  "test/shutdown.test.ts",
  "test/cli-jobs.test.ts",
  "test/db-supervision.test.ts",
  "test/webhooks.test.ts",
  "test/templates.test.ts",
  "src/webhooks/delivery.test.ts",
  "src/previews/check.test.ts",
  "test/usage.test.ts",
  "src/workers/liveness.test.ts",
  "test/runs.test.ts",
  "test/agent-steps.test.ts",
  "test/db-outage.test.ts",
];

/** vitest's own order when it has timed every file before, else the known slowest files first. */
export class SlowFirstSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const root = this.ctx.config.root;
    const relative = (f: TestSpecification) => path.relative(root, f.moduleId);
    if (sorted.every((f) => this.ctx.cache.getFileTestResults(`${f.project.name}:${relative(f)}`))) return sorted;
    const rank = (f: TestSpecification) => {
      const i = SLOWEST.indexOf(relative(f));
      return i === -1 ? SLOWEST.length : i;
    };
    // Array.prototype.sort is stable: the rest keep vitest's order.
    return sorted.sort((a, b) => rank(a) - rank(b));
  }
}
