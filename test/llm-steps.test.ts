import { promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runToEnd, startTestShipyard, type TestShipyard } from "./helpers/shipyard.ts";

// `llm:` steps run on the server, answered from cassettes in a temporary directory (SHIPYARD_CASSETTES).
let s: TestShipyard;
let cassettes: string;
let db: pg.Client;

beforeAll(async () => {
  cassettes = await fs.mkdtemp(path.join(os.tmpdir(), "shipyard-cassettes-"));
  s = await startTestShipyard({ env: { SHIPYARD_CASSETTES: cassettes } });
  db = new pg.Client({ connectionString: s.databaseUrl });
  await db.connect();
});
afterAll(async () => {
  await db?.end();
  await s?.stop();
  await fs.rm(cassettes, { recursive: true, force: true });
});

const CASSETTE = "wf";
const cassetteFile = () => path.join(cassettes, `${CASSETTE}.json`);

/** Add a hand-written answer to the test cassette (recorded as `replay:wf`, the spec a missing file fingerprints with). */
async function addEntry(fp: string, response: Record<string, unknown>): Promise<void> {
  const existing = await fs.readFile(cassetteFile(), "utf8").then((t) => JSON.parse(t), () => null);
  const cassette = existing ?? { version: 1, model: `replay:${CASSETTE}`, entries: {} };
  cassette.entries[fp] = { response: { finishReason: "stop", usage: { inputTokens: 12, outputTokens: 5 }, ...response } };
  await fs.writeFile(cassetteFile(), JSON.stringify(cassette, null, 2));
}

const stepsOf = (run: { steps: { id: string }[] }): Record<string, any> => Object.fromEntries(run.steps.map((x) => [x.id, x]));

async function logLines(runId: string): Promise<string[]> {
  const { body } = await s.api("GET", `/operations/${runId}/events`);
  return body.events.filter((e: { type: string }) => e.type === "log").map((e: { payload: { line: string } }) => e.payload.line);
}

const SUMMARY_WORKFLOW = `
name: summary
steps:
  - id: read
    run: echo "text=faster runners and SSE replay" >> "$SHIPYARD_OUTPUT"
  - id: summarize
    needs: read
    llm:
      model: replay:${CASSETTE}
      prompt: "Summarize: \${{ steps.read.outputs.text }}"
  - id: show
    needs: summarize
    run: echo "summary is \${{ steps.summarize.outputs.text }}"
teardown:
  - id: bye
    run: echo bye
outputs:
  summary: \${{ steps.summarize.outputs.text }}
`;

const SCHEMA_WORKFLOW = `
name: structured
steps:
  - id: classify
    llm:
      model: replay:${CASSETTE}
      prompt: Classify this release
      schema:
        type: object
        properties:
          title: { type: string }
          tags: { type: array, items: { type: string } }
          confidence: { type: number }
        required: [title, tags, confidence]
  - id: show
    needs: classify
    env: { OUT: "\${{ steps.classify.outputs.title }} \${{ steps.classify.outputs.tags }} \${{ steps.classify.outputs.confidence }}" }
    run: echo "$OUT"
`;

/** The fingerprint a failed llm step's CassetteMissError names. */
function fingerprintIn(error: string): string {
  const match = /fingerprint ([0-9a-f]{64})/.exec(error);
  if (!match?.[1]) throw new Error(`no fingerprint in ${JSON.stringify(error)}`);
  return match[1];
}

describe("llm steps", () => {
  let summaryFp = "";

  it("fails a step whose cassette is missing, naming fingerprint and file; dependents skip, teardown runs", async () => {
    const run = await runToEnd(s, SUMMARY_WORKFLOW);
    expect(run.status).toBe("failed");
    const st = stepsOf(run);
    expect(st.read.status).toBe("succeeded");
    expect(st.summarize.status).toBe("failed");
    expect(st.summarize.error).toContain(cassetteFile());
    summaryFp = fingerprintIn(st.summarize.error);
    expect(st.show.status).toBe("skipped");
    expect(st.bye.status).toBe("succeeded");
    expect(run.error).toContain("step summarize failed");
    expect(run.error).toContain(summaryFp);
  });

  it("replays a cassette: the text is the step's output and a later run step echoes it; usage is recorded", async () => {
    await addEntry(summaryFp, { text: "Runners got faster; SSE replays." });
    const run = await runToEnd(s, SUMMARY_WORKFLOW);
    expect(run.status).toBe("succeeded");
    const st = stepsOf(run);
    expect(st.summarize).toMatchObject({ status: "succeeded", attempt: 1, outputs: { text: "Runners got faster; SSE replays." } });
    expect(run.outputs).toEqual({ summary: "Runners got faster; SSE replays." });
    expect(await logLines(run.id)).toEqual(["summary is Runners got faster; SSE replays.", "bye"]);
    const usage = await db.query("select provider, model, input_tokens, output_tokens, workspace_id from model_usage where operation_id = $1", [run.id]);
    expect(usage.rows).toHaveLength(1);
    expect(usage.rows[0]).toMatchObject({ provider: "replay", model: CASSETTE, input_tokens: 12, output_tokens: 5 });
    expect(usage.rows[0].workspace_id).toBeTruthy();
    // The step never went to a runner.
    const tasks = await db.query("select status, runner_id, dispatch, spec from tasks where operation_id = $1 and step_id = 'summarize'", [run.id]);
    expect(tasks.rows).toEqual([
      { status: "done", runner_id: null, dispatch: 1, spec: { kind: "llm", model: `replay:${CASSETTE}`, prompt: "Summarize: faster runners and SSE replay" } },
    ]);
  });

  it("with a schema, puts the object's fields in the outputs one by one (non-strings JSON-encoded)", async () => {
    const missed = await runToEnd(s, SCHEMA_WORKFLOW);
    expect(missed.status).toBe("failed");
    await addEntry(fingerprintIn(stepsOf(missed).classify.error), { object: { title: "Release 1.2", tags: ["runners", "sse"], confidence: 0.9 } });
    const run = await runToEnd(s, SCHEMA_WORKFLOW);
    expect(run.status).toBe("succeeded");
    expect(stepsOf(run).classify.outputs).toEqual({ title: "Release 1.2", tags: '["runners","sse"]', confidence: "0.9" });
    expect(await logLines(run.id)).toEqual(['Release 1.2 ["runners","sse"] 0.9']);
  });

  it("retries a failing llm step like a run step", async () => {
    const run = await runToEnd(
      s,
      `name: retry\nsteps:\n  - id: ask\n    retry: { max: 1, backoff: 10ms }\n    llm: { model: "replay:${CASSETTE}", prompt: never recorded }\n`,
    );
    expect(run.status).toBe("failed");
    expect(stepsOf(run).ask).toMatchObject({ status: "failed", attempt: 2 });
    expect(stepsOf(run).ask.error).toContain("fingerprint");
  });
});
