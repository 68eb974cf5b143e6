import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import fc from "fast-check";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { claudeCodeAgentScript, cleanupScript, commandAgentScript, shellQuote, verifyScript } from "./scripts.ts";
import { runScript, sandbox, tmpIsEmpty, type Sandbox } from "./test-repos.ts";

let box: Sandbox;
beforeEach(() => {
  box = sandbox();
});
afterEach(() => rmSync(box.root, { recursive: true, force: true }));

describe("shellQuote", () => {
  const echo = (s: string) => spawnSync("bash", ["--noprofile", "--norc", "-c", `printf %s ${shellQuote(s)}`]).stdout;

  it("round-trips any string without NUL through bash (property)", () => {
    const text = fc.string({ unit: "binary", maxLength: 40 }).filter((s) => !s.includes("\0"));
    const shellish = fc.string({ unit: fc.constantFrom("'", '"', "\\", "$", "`", "!", "\n", " ", "*", "-", "$(", "${", "a"), maxLength: 20 });
    fc.assert(
      fc.property(fc.oneof(text, shellish), (s) => {
        expect(echo(s).equals(Buffer.from(s, "utf8"))).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it("quotes the empty string as an empty word and refuses NUL", () => {
    expect(spawnSync("bash", ["-c", `set -- ${shellQuote("")}; echo $#`], { encoding: "utf8" }).stdout).toBe("1\n");
    expect(() => shellQuote("a\0b")).toThrow(/NUL/);
  });
});

describe("commandAgentScript", () => {
  it("gives the command the prompt in a file outside the workspace, propagates its exit code, removes the file", () => {
    const prompt = "Fix the bug\nin 'parser' with $HOME and `ticks`";
    const command = `cp "$SHIPYARD_PROMPT_FILE" got.txt && printf '%s' "$SHIPYARD_PROMPT_FILE" > where.txt; exit 7`;
    const r = runScript(box, commandAgentScript(command), { SHIPYARD_PROMPT: prompt });
    expect(r.status).toBe(7);
    expect(readFileSync(path.join(box.ws, "got.txt"), "utf8")).toBe(prompt);
    const where = readFileSync(path.join(box.ws, "where.txt"), "utf8");
    expect(path.dirname(where)).toBe(box.tmp);
    expect(tmpIsEmpty(box)).toBe(true);
  });

  it("succeeds when the command does, with its output passed through", () => {
    const r = runScript(box, commandAgentScript("echo agent ran; echo note >&2"), { SHIPYARD_PROMPT: "p" });
    expect(r).toEqual({ status: 0, stdout: "agent ran\n", stderr: "note\n" });
  });

  it("fails without a prompt", () => {
    const r = runScript(box, commandAgentScript("true"));
    expect(r).toMatchObject({ status: 2, stderr: "shipyard: SHIPYARD_PROMPT is empty\n" });
  });
});

describe("claudeCodeAgentScript", () => {
  // A stub `claude` records its arguments and stdin; the stub mapper copies its stdin to the output.
  const runClaude = (opts: { model?: string; maxTurns?: number; budgetUsd?: number }, env: Record<string, string> = {}) => {
    const bin = path.join(box.root, "bin");
    mkdirSync(bin, { recursive: true });
    writeFileSync(path.join(bin, "claude"), `#!/usr/bin/env bash\nprintf '%s\\n' "$*" > ${shellQuote(path.join(box.root, "args"))}\ncat\n`, { mode: 0o755 });
    const mapper = path.join(box.root, "mapper.mjs");
    writeFileSync(mapper, "process.stdin.pipe(process.stdout);\n");
    const r = runScript(box, claudeCodeAgentScript({ mapper, ...opts }), { SHIPYARD_PROMPT: "the prompt", PATH: `${bin}${path.delimiter}${process.env.PATH}`, ...env });
    const argsFile = path.join(box.root, "args");
    const args = existsSync(argsFile) ? readFileSync(argsFile, "utf8").trim() : null;
    rmSync(argsFile, { force: true });
    return { ...r, args };
  };

  it("passes the model, turn limit and budget to claude -p, with the prompt on stdin", () => {
    const r = runClaude({ model: "sonnet", maxTurns: 5, budgetUsd: 2.5 });
    expect(r).toMatchObject({ status: 0, stdout: "the prompt", stderr: "" });
    expect(r.args).toBe("-p --output-format stream-json --verbose --model sonnet --max-turns 5 --max-budget-usd 2.5");
    expect(runClaude({}).args).toBe("-p --output-format stream-json --verbose");
    expect(tmpIsEmpty(box)).toBe(true);
  });

  it("refuses a budget or turn limit that is not positive and finite", () => {
    for (const budgetUsd of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => claudeCodeAgentScript({ mapper: "m", budgetUsd })).toThrow(/invalid budgetUsd/);
    }
    expect(() => claudeCodeAgentScript({ mapper: "m", maxTurns: 0 })).toThrow(/invalid maxTurns/);
  });

  it("caps the session at what the server says is left, and does not start claude when nothing is", () => {
    expect(runClaude({ budgetUsd: 2.5 }, { SHIPYARD_BUDGET_USD: "0.75" }).args).toBe("-p --output-format stream-json --verbose --max-budget-usd 0.75");
    expect(runClaude({}, { SHIPYARD_BUDGET_USD: "1.5" }).args).toBe("-p --output-format stream-json --verbose --max-budget-usd 1.5");
    const spent = runClaude({ budgetUsd: 2.5 }, { SHIPYARD_BUDGET_USD: "0" });
    expect(spent).toMatchObject({ status: 1, args: null });
    expect(spent.stderr).toContain("budget_exceeded: no model budget is left for this step");
  });
});

describe("verifyScript", () => {
  it("echoes each command, and stops at the first failure with its exit code", () => {
    const r = runScript(box, verifyScript(["echo one", "echo two && exit 5", "echo never"]));
    expect(r.status).toBe(5);
    expect(r.stdout).toBe("$ echo one\none\n$ echo two && exit 5\ntwo\n");
    expect(r.stderr).toBe("shipyard: verification failed with exit code 5: echo two && exit 5\n");
  });

  it("runs every command when all pass, each in its own shell", () => {
    const r = runScript(box, verifyScript(["mkdir sub && cd sub", "pwd -P", "test -n \"$SHIPYARD_WORKSPACE\""]));
    expect(r.status).toBe(0);
    expect(r.stdout.split("\n")).toContain(box.ws);
  });

  it("counts a failure inside a pipeline or mid-command", () => {
    expect(runScript(box, verifyScript(["false | cat"])).status).toBe(1);
    expect(runScript(box, verifyScript(["false\necho after"])).stdout).toBe("$ false\necho after\n");
  });

  it("with no commands, succeeds", () => {
    expect(runScript(box, verifyScript([]))).toMatchObject({ status: 0, stdout: "no verification commands\n" });
  });
});

describe("cleanupScript", () => {
  it("empties the workspace, read-only directories included, without following symlinks out of it", () => {
    const outside = path.join(box.root, "outside");
    mkdirSync(outside);
    writeFileSync(path.join(outside, "keep.txt"), "keep");
    mkdirSync(path.join(box.ws, "a", "b", "locked"), { recursive: true });
    writeFileSync(path.join(box.ws, "a", "b", "locked", "f"), "x");
    chmodSync(path.join(box.ws, "a", "b", "locked"), 0o500);
    writeFileSync(path.join(box.ws, ".hidden"), "x");
    symlinkSync(outside, path.join(box.ws, "link"));
    const r = runScript(box, cleanupScript());
    expect(r).toMatchObject({ status: 0, stderr: "" });
    expect(readdirSync(box.ws)).toEqual([]);
    expect(existsSync(box.ws)).toBe(true);
    expect(readFileSync(path.join(outside, "keep.txt"), "utf8")).toBe("keep");
  });

  it("refuses to empty HOME", () => {
    writeFileSync(path.join(box.home, "precious"), "x");
    const r = runScript(box, cleanupScript(), {}, box.home);
    expect(r.status).toBe(2);
    expect(readdirSync(box.home)).toEqual(["precious"]);
  });
});
