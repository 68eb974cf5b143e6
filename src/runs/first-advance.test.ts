// A keyless run created and started in one statement (src/runs/first-advance.ts), against a fresh database: it
// must leave exactly the rows and events that storing the run and then advancing it leave.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import pg from "pg";
import { coreDatabase, onlineRunner, operationState, pendingRun, workspace } from "../../test/helpers/core.ts";
import type { Pool } from "../db/pool.ts";
import { isTerminal } from "../domain/errors.ts";
import { newId } from "../domain/ids.ts";
import type { StartOptions, WorkflowControl } from "../engine/control.ts";
import { parseWorkflow } from "../workflows/index.ts";
import { advanceRun } from "./advance.ts";
import { createAndStartRun, onlyFirstPlacement, newRunState } from "./first-advance.ts";
import { createRun } from "./service.ts";
import { createRunParams } from "./store.ts";
import { TaskHandoff, type PlacedTask } from "../tasks/handoff.ts";
import { taskId } from "../tasks/task-id.ts";

let pool: Pool;
let ws: string;
beforeAll(async () => {
  pool = await coreDatabase("firstadvance");
  ws = await workspace(pool, "replay:hello");
  await onlineRunner(pool, ws, 64);
});
afterAll(async () => {
  await pool?.end();
});

/** Starts nothing; notes (when `watching`) whether the run was stored when its workflow was started. */
class StartWatcher implements WorkflowControl {
  readonly storedAtStart: boolean[] = [];
  constructor(private readonly watching = true) {}
  async start(_name: string, _o: StartOptions, runId: unknown): Promise<void> {
    if (this.watching) this.storedAtStart.push((await pool.query("select 1 from runs where id = $1", [runId])).rowCount === 1);
  }
  async send(): Promise<void> {}
  async cancel(): Promise<void> {}
  async status(): Promise<string | null> {
    return "PENDING";
  }
}

const stateOf = (source: string, inputs: Record<string, string | number | boolean> = {}) => {
  const def = parseWorkflow(source);
  if (!def.ok) throw new Error(JSON.stringify(def.errors));
  return newRunState({ id: newId("run"), workspaceId: ws, definition: def.workflow, inputs });
};

/** operationState with the run's id (in task ids and payloads) made comparable across runs. */
const comparable = async (runId: string) => JSON.parse(JSON.stringify(await operationState(pool, runId)).replaceAll(runId, "RUN"));

const WORKFLOW = `
name: first
inputs:
  who: { type: string, default: world }
steps:
  - id: hello
    run: echo "hello \${{ inputs.who }}"
    env: { WHO: "\${{ inputs.who }}" }
    outputs: [greeting]
  - id: after
    needs: hello
    run: echo done
teardown:
  - id: tidy
    run: echo tidy
`;

describe("onlyFirstPlacement", () => {
  it("takes a run whose only first step is an unconditional shell step whose command expands", () => {
    expect(onlyFirstPlacement(stateOf(WORKFLOW))).toBe("hello");
    expect(onlyFirstPlacement(stateOf("name: w\nsteps:\n  - id: a\n    run: 'true'\n"))).toBe("a");
  });

  it("leaves every other first advance to the ordinary path", () => {
    const cases = {
      "two first steps": "name: w\nsteps:\n  - id: a\n    run: 'true'\n  - id: b\n    run: 'true'\n",
      "an if": "name: w\nsteps:\n  - id: a\n    if: ${{ false }}\n    run: 'true'\n",
      "a model step": "name: w\nsteps:\n  - id: a\n    llm:\n      prompt: hi\n",
      "a command that does not expand": "name: w\nsteps:\n  - id: a\n    run: echo ${{ fromJSON('nope') }}\n",
    };
    for (const [what, source] of Object.entries(cases)) expect(onlyFirstPlacement(stateOf(source)), what).toBeNull();
  });
});

describe("a run created with its first advance", () => {
  it("leaves the rows and events that storing it and then advancing it leave", async () => {
    const ordinary = await pendingRun(pool, ws, WORKFLOW, { who: "you" });
    await advanceRun(pool, ordinary, { type: "start" });
    const watcher = new StartWatcher();
    const fast = await createRun({ pool, workflows: watcher }, { workspaceId: ws, source: WORKFLOW, inputs: { who: "you" } });
    expect(await comparable(fast.id)).toEqual(await comparable(ordinary));
    expect((await comparable(fast.id)).tasks).toHaveLength(1);
    // Its workflow was started first: a crash in between leaves no run without one.
    expect(watcher.storedAtStart).toEqual([false]);
  });

  it("costs two statements: the workspace's settings and the one that creates, starts and places", async () => {
    // Every statement of every connection (the creating one is made on a connection of its own).
    const proto = pg.Client.prototype as unknown as { query: (...args: unknown[]) => unknown };
    const query = proto.query;
    let statements = 0;
    proto.query = function (this: unknown, ...args: unknown[]) {
      statements += 1;
      return query.apply(this, args);
    };
    try {
      await createRun({ pool, workflows: new StartWatcher(false) }, { workspaceId: ws, source: "name: w\nsteps:\n  - id: a\n    run: 'true'\n", inputs: {} });
    } finally {
      proto.query = query;
    }
    expect(statements).toBe(2);
  });

  it("is refused for a run whose first advance writes more than one placement (it would hold no lock)", async () => {
    const run = stateOf("name: w\nsteps:\n  - id: a\n    run: 'true'\n  - id: b\n    run: 'true'\n");
    const params = [run.id, ws, "w", "", JSON.stringify(run.definition), "{}", null, null, ["a", "b"], ["main", "main"], [], [], []];
    await expect(createAndStartRun(pool, run, "a", params)).rejects.toThrow(/not the one placement/);
  });

  it("hands its task to this process's gateway, marked on its way while the statement that places it runs", async () => {
    const run = stateOf("name: w\nsteps:\n  - id: a\n    run: 'true'\n");
    const record = { id: run.id, workspaceId: ws, def: run.definition, source: "", inputs: {}, concurrencyKey: null, rerunOf: null, steps: [{ id: "a", phase: "main" as const }], events: [] };
    const handoff = new TaskHandoff();
    const handed: PlacedTask[] = [];
    handoff.serve((t) => handed.push(t));
    const key = `${taskId(run.id, "a", 1)}#1`;
    const onItsWay: boolean[] = [];
    const watched = Object.create(pool) as Pool;
    watched.connect = (async () => {
      const client = await pool.connect();
      const query = client.query;
      client.query = ((...args: unknown[]) => {
        onItsWay.push(handoff.handsOver(key));
        return (query as (...a: unknown[]) => unknown).apply(client, args);
      }) as never;
      const release = client.release;
      client.release = ((...args: unknown[]) => {
        Object.assign(client, { query, release });
        return (release as (...a: unknown[]) => unknown).apply(client, args);
      }) as never;
      return client;
    }) as never;
    await createAndStartRun(watched, run, "a", createRunParams(record), handoff);
    expect(onItsWay).toEqual([true]);
    expect(handoff.handsOver(key)).toBe(false);
    expect(handed.map((t) => `${t.message.taskId}#${t.message.dispatch}`)).toEqual([key]);
  });

  it("a workflow whose run was never stored ends at its tick: not found, which no retry mends", async () => {
    const err = await advanceRun(pool, newId("run"), { type: "tick" }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: "not_found" });
    expect(isTerminal(err)).toBe(true);
  });
});
