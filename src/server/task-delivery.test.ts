import { describe, expect, it } from "vitest";
import { createLogger } from "../logger.ts";
import type { AssignedTask } from "../tasks/spec.ts";
import { deliverableTask } from "./task-delivery.ts";
import { TaskTokens } from "./task-tokens.ts";

const tokens = new TaskTokens(Buffer.alloc(32, 7));
const task = (spec: AssignedTask["message"]["spec"]): AssignedTask => ({
  message: { taskId: "run_1:build:1", dispatch: 3, runId: "run_1", stepId: "build", attempt: 1, spec },
  workflowId: "run_1",
  workspaceId: "ws_1",
  secretEnv: {},
});
const options = { log: createLogger("silent"), taskToken: (id: string, dispatch: number) => tokens.mint(id, dispatch) };

describe("deliverableTask", () => {
  it("gives a task that asks for server access its task token, and the runner never sees the flag", async () => {
    const sent = await deliverableTask(task({ command: "upload", env: { A: "1" }, serverAccess: true }), options);
    expect(sent.spec).not.toHaveProperty("serverAccess");
    expect(sent.spec.env.A).toBe("1");
    expect(tokens.verify(sent.spec.env.SHIPYARD_TASK_TOKEN ?? "")).toEqual({ taskId: "run_1:build:1", dispatch: 3 });
  });

  it("gives no token to a task that does not ask", async () => {
    const sent = await deliverableTask(task({ command: "build", env: {} }), options);
    expect(sent.spec.env).toEqual({});
  });
});
