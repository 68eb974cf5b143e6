// The run view carries each step's needs, so a client (the run page's step graph) draws the DAG from the API.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startInMemoryApp, type InMemoryApp } from "../../../test/helpers/in-memory-app.ts";

let app: InMemoryApp;
beforeAll(async () => {
  app = await startInMemoryApp("run-view");
});
afterAll(() => app.close());

const WORKFLOW = `name: dag
steps:
  - id: a
    run: echo a
  - id: b
    run: echo b
  - id: c
    needs: [a, b]
    run: echo c
teardown:
  - id: bye
    run: echo bye
`;

describe("GET /runs/{id}", () => {
  it("gives each step the steps it needs, as POST /runs did", async () => {
    const created = await app.api("POST", "/runs", { workflow: WORKFLOW });
    expect(created.status).toBe(201);
    const needs = (steps: { id: string; needs: string[] }[]) => Object.fromEntries(steps.map((s) => [s.id, s.needs]));
    const expected = { a: [], b: [], c: ["a", "b"], bye: [] };
    expect(needs(created.body.steps)).toEqual(expected);
    const shown = await app.api("GET", `/runs/${created.body.id}`);
    expect(needs(shown.body.steps)).toEqual(expected);
  });
});
