import { randomBytes } from "node:crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { TaskTokens } from "./task-tokens.ts";

describe("TaskTokens", () => {
  const tokens = new TaskTokens(randomBytes(32));

  it("verifies what it minted, for that task and dispatch only", () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1 }).filter((s) => !s.includes("\n")), fc.integer({ min: 0, max: 1e6 }), (taskId, dispatch) => {
        expect(tokens.verify(tokens.mint(taskId, dispatch))).toEqual({ taskId, dispatch });
      }),
    );
  });

  it("refuses altered claims, another key's tokens and junk", () => {
    const token = tokens.mint("run_1:a:1", 2);
    const [claims, mac] = token.slice(4).split(".");
    const forged = `syt_${Buffer.from("run_1:a:1\n3").toString("base64url")}.${mac}`;
    expect(tokens.verify(forged)).toBeNull();
    expect(new TaskTokens(randomBytes(32)).verify(token)).toBeNull();
    for (const junk of ["", "syt_", `syt_${claims}`, `syt_${claims}.${mac}.x`, token.replace("syt_", "sy_"), `${token}A`]) {
      expect(tokens.verify(junk), junk).toBeNull();
    }
  });
});
