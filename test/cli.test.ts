import { spawn } from "node:child_process";
import { promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BIN, REPO, runCli, type CliResult } from "./helpers/cli.ts";
import { startTestShipyard, waitFor, type TestShipyard } from "./helpers/shipyard.ts";

let s: TestShipyard;
let scratch: string;
beforeAll(async () => {
  s = await startTestShipyard();
  scratch = await fs.mkdtemp(path.join(os.tmpdir(), "shipyard-cli-"));
});
afterAll(async () => {
  await s?.stop();
  if (scratch) await fs.rm(scratch, { recursive: true, force: true });
});

const env = () => ({ PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: scratch, SHIPYARD_URL: s.url, SHIPYARD_TOKEN: s.adminToken, NO_COLOR: "1" });
/** The CLI against the test server with the admin token, from the repository root. */
const cli = (...args: string[]): Promise<CliResult> => runCli(args, { env: env() });

async function writeWorkflow(name: string, text: string): Promise<string> {
  const file = path.join(scratch, name);
  await fs.writeFile(file, text);
  return file;
}

/** The run id announced by `run` ("▶ run ID (workflow)"). */
const announcedId = (stdout: string): string => {
  const m = /run (run_[a-z0-9]+) \(/.exec(stdout);
  if (!m) throw new Error(`no run id in: ${stdout}`);
  return m[1]!;
};

/** A shell pipeline with the test's environment: exit code (pipefail: the first failure) and output. */
function pipeline(script: string): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn("bash", ["-c", script], { cwd: REPO, env: env(), stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

/** The fixture's `# expect: LINE:COL code message` header. */
async function fixtureExpectation(file: string): Promise<{ line: number; column: number; message: string }> {
  const first = (await fs.readFile(file, "utf8")).split("\n")[0]!;
  const m = /^# expect: (\d+):(\d+) \S+ (.*)$/.exec(first);
  if (!m) throw new Error(`no expectation in ${file}`);
  return { line: Number(m[1]), column: Number(m[2]), message: m[3]! };
}

const ids: { hello?: string; failed?: string } = {};

describe("shipyard CLI", () => {
  it("--help lists the commands", async () => {
    const r = await cli("--help");
    expect(r.code).toBe(0);
    for (const c of ["up", "runner", "run", "runs", "show", "logs", "cancel", "rerun", "validate", "workspaces", "runners"]) {
      expect(r.stdout).toMatch(new RegExp(`^\\s+${c}\\b`, "m"));
    }
  });

  it("validate: exit 0 for a good file, 1 with file:line:column: message for a bad one", async () => {
    const ok = await cli("validate", "examples/hello.yaml");
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain("examples/hello.yaml: ok");
    for (const name of ["unknown-field-step.yaml", "cycle.yaml"]) {
      const file = path.join("test", "fixtures", "workflows", "bad", name);
      const want = await fixtureExpectation(path.join(REPO, file));
      const bad = await cli("validate", file);
      expect(bad.code).toBe(1);
      expect(bad.stderr.split("\n").filter((l) => l.startsWith(`${file}:${want.line}:${want.column}: ${want.message}`))).toHaveLength(1);
      expect(bad.stdout).toBe("");
    }
  });

  it("run: follows a run to success, prints its logs and outputs, exit 0", async () => {
    const r = await cli("run", "examples/hello.yaml", "--input", "who=cli");
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("HELLO CLI");
    expect(r.stdout).toMatch(/^\s+greeting = hello cli$/m);
    // Progress: each step line says which step of the run's three it is and how long the run has taken so far.
    expect(r.stdout).toMatch(/^● greet running {2}\[step 1 of 3, \d+\.\ds elapsed\]$/m);
    expect(r.stdout).toMatch(/^✓ shout succeeded {2}\d+\.\d\ds {2}\[step 2 of 3, \d+\.\ds elapsed\]$/m);
    expect(r.stdout).toMatch(/^✓ bye succeeded .*\[step 3 of 3, \d+\.\ds elapsed\]$/m);
    ids.hello = announcedId(r.stdout);
    const run = await s.api("GET", `/runs/${ids.hello}`);
    expect(run.body).toMatchObject({ status: "succeeded", inputs: { who: "cli" }, outputs: { greeting: "hello cli" } });
  });

  it("run: exit 1 when the run fails", async () => {
    const file = await writeWorkflow("fail.yaml", "name: doomed\nsteps:\n  - id: boom\n    run: |\n      echo going down\n      exit 7\n");
    const r = await cli("run", file);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("going down");
    expect(r.stdout).toMatch(/run failed/);
    ids.failed = announcedId(r.stdout);
    expect((await s.api("GET", `/runs/${ids.failed}`)).body.steps[0]).toMatchObject({ status: "failed", exitCode: 7 });
  });

  it("run: a clear message and a non-zero exit for bad inputs or a bad workflow; no run is started", async () => {
    const before = (await s.api("GET", "/runs?limit=500")).body.runs.length;
    const unknown = await cli("run", "examples/hello.yaml", "--input", "whom=x");
    expect(unknown.code).not.toBe(0);
    expect(unknown.stderr).toMatch(/unknown input/);
    expect(unknown.stderr).toContain("whom");
    const numFile = await writeWorkflow("num.yaml", "name: num\ninputs:\n  n: { type: number, required: true }\nsteps:\n  - id: a\n    run: echo ${{ inputs.n }}\n");
    const wrongType = await cli("run", numFile, "--input", "n=lots");
    expect(wrongType.code).not.toBe(0);
    expect(wrongType.stderr).toMatch(/n: must be a number/);
    const noEq = await cli("run", "examples/hello.yaml", "--input", "who");
    expect(noEq.code).not.toBe(0);
    expect(noEq.stderr).toContain("--input expects key=value");
    const badFile = path.join("test", "fixtures", "workflows", "bad", "unknown-field-step.yaml");
    const want = await fixtureExpectation(path.join(REPO, badFile));
    const invalid = await cli("run", badFile);
    // The exit rule: an invalid workflow file is exit 1 for `run` as for `validate`.
    expect(invalid.code).toBe(1);
    expect((await cli("validate", badFile)).code).toBe(1);
    expect(invalid.stderr).toContain(`${badFile}:${want.line}:${want.column}: ${want.message}`);
    const noInput = await cli("run", numFile);
    expect(noInput.code).toBe(2);
    expect(noInput.stderr).toContain("n: required input is missing; pass it with --input n=<number>");
    const missing = await cli("run", path.join(scratch, "nope.yaml"));
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toMatch(/cannot read .*nope\.yaml/);
    expect((await s.api("GET", "/runs?limit=500")).body.runs.length).toBe(before);
  });

  it("runs --json, show --json, logs and logs -f read back those runs", async () => {
    expect(ids.hello && ids.failed).toBeTruthy();
    const list = await cli("runs", "--json");
    expect(list.code).toBe(0);
    const runs = JSON.parse(list.stdout) as { id: string; status: string }[];
    expect(runs).toEqual(expect.arrayContaining([expect.objectContaining({ id: ids.hello, status: "succeeded" }), expect.objectContaining({ id: ids.failed, status: "failed" })]));
    const failedOnly = JSON.parse((await cli("runs", "--json", "--status", "failed")).stdout) as { id: string }[];
    expect(failedOnly.map((r) => r.id)).toEqual([ids.failed]);

    const show = await cli("show", ids.hello!, "--json");
    expect(show.code).toBe(0);
    const run = JSON.parse(show.stdout);
    expect(run).toMatchObject({ id: ids.hello, status: "succeeded", outputs: { greeting: "hello cli" } });
    expect(run.steps.map((st: { id: string; status: string }) => [st.id, st.status])).toEqual([
      ["greet", "succeeded"],
      ["shout", "succeeded"],
      ["bye", "succeeded"],
    ]);

    const logs = await cli("logs", ids.hello!);
    expect(logs.code).toBe(0);
    const lines = logs.stdout.split("\n");
    for (const [step, line] of [["greet", "hello cli"], ["shout", "HELLO CLI"], ["bye", "bye"]]) {
      expect(lines.some((l) => new RegExp(`^\\s+${step}\\s+│ ${line}$`).test(l))).toBe(true);
    }
    const follow = await cli("logs", "-f", ids.hello!);
    expect(follow.code).toBe(0);
    expect(follow.stdout).toContain("HELLO CLI");
    expect(follow.stdout).toMatch(/run succeeded/);
    expect(follow.stdout).toMatch(/^✓ shout succeeded .*\[step 2 of 3, \d+\.\ds elapsed\]$/m);

    // Each step with its duration, from its start and end times.
    const human = await cli("show", ids.hello!);
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/^STEP\s+PHASE\s+STATUS\s+ATTEMPT\s+EXIT\s+DURATION$/m);
    for (const step of (run.steps as { id: string; startedAt: string; finishedAt: string }[])) {
      const seconds = ((Date.parse(step.finishedAt) - Date.parse(step.startedAt)) / 1000).toFixed(1);
      expect(human.stdout).toMatch(new RegExp(`^${step.id}\\s+\\w+\\s+succeeded\\s+1\\s+0\\s+${seconds.replace(".", "\\.")}s$`, "m"));
    }

    const unknown = await cli("show", "run_doesnotexist");
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("run_doesnotexist was not found");
  });

  it("cancel stops a long run; show then says cancelled", async () => {
    const file = await writeWorkflow("long.yaml", "name: long\nsteps:\n  - id: wait\n    run: sleep 300\nteardown:\n  - id: tidy\n    run: echo tidied\n");
    const started = await cli("run", file, "--detach");
    expect(started.code).toBe(0);
    const id = started.stdout.trim();
    expect(id).toMatch(/^run_[a-z0-9]+$/);
    await waitFor(async () => (await s.api("GET", `/runs/${id}`)).body.steps[0].status === "running", 20_000, "the step to run");
    const cancel = await cli("cancel", id);
    expect(cancel.code).toBe(0);
    expect(cancel.stdout).toContain(id);
    const final = await waitFor(
      async () => {
        const r = await cli("show", id, "--json");
        const run = JSON.parse(r.stdout);
        return ["succeeded", "failed", "cancelled"].includes(run.status) ? run : null;
      },
      30_000,
      "the run to end",
    );
    expect(final.status).toBe("cancelled");
    expect(final.steps.map((st: { id: string; status: string }) => [st.id, st.status])).toEqual([
      ["wait", "cancelled"],
      ["tidy", "succeeded"],
    ]);
    const again = await cli("cancel", id);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain("already cancelled");
  });

  it("rerun prints the new run's id", async () => {
    const r = await cli("rerun", ids.hello!);
    expect(r.code).toBe(0);
    const id = r.stdout.trim();
    expect(id).toMatch(/^run_[a-z0-9]+$/);
    expect(id).not.toBe(ids.hello);
    const run = await waitFor(async () => {
      const x = await s.api("GET", `/runs/${id}`);
      return x.body.status === "succeeded" ? x.body : null;
    });
    expect(run).toMatchObject({ rerunOf: ids.hello, inputs: { who: "cli" }, outputs: { greeting: "hello cli" } });
  });

  it("Ctrl-C while following detaches with exit 130 (run and rerun -f); the run goes on", async () => {
    const file = await writeWorkflow("nap.yaml", "name: nap\nsteps:\n  - id: nap\n    run: |\n      echo napping\n      sleep 300\n");
    const first = await runCli(["run", file], { env: env(), interruptWhen: /│ napping/ });
    const again = await runCli(["rerun", "-f", announcedId(first.stdout)], { env: env(), interruptWhen: /│ napping/ });
    for (const r of [first, again]) {
      expect(r.code).toBe(130);
      const id = announcedId(r.stdout);
      expect(r.stderr).toContain(`the run goes on. Cancel it with: shipyard cancel ${id}`);
      expect((await s.api("GET", `/runs/${id}`)).body.status).toBe("running");
      expect((await cli("cancel", id)).code).toBe(0);
      await waitFor(async () => (await s.api("GET", `/runs/${id}`)).body.status === "cancelled", 30_000, "the run to be cancelled");
    }
  });

  it("finds the local server through the data dir, and says when the server is down", async () => {
    const local = await runCli(["runs", "--json"], { env: { PATH: process.env.PATH ?? "", SHIPYARD_DATA_DIR: s.dataDir }, cwd: scratch });
    expect(local.code).toBe(0);
    expect((JSON.parse(local.stdout) as { id: string }[]).map((r) => r.id)).toContain(ids.hello);
    const down = await runCli(["runs"], { env: { PATH: process.env.PATH ?? "", SHIPYARD_URL: "http://127.0.0.1:1", SHIPYARD_TOKEN: "t" }, cwd: scratch });
    expect(down.code).toBe(2);
    expect(down.stderr).toContain("cannot reach Shipyard at http://127.0.0.1:1");
  });

  it("piped into `head`, a long listing ends quietly with exit 0: no EPIPE, no stack trace", async () => {
    // Far more than a pipe holds, printed line by line, so the writes go on after `head` has gone.
    const file = await writeWorkflow("many.yaml", "name: many\nsteps:\n  - id: count\n    run: seq 1 6000\n");
    const run = await cli("run", file);
    expect(run.code).toBe(0);
    const id = announcedId(run.stdout);
    for (const args of [`logs ${id}`, "runs --limit 200"]) {
      const r = await pipeline(`set -o pipefail; ${JSON.stringify(process.execPath)} ${JSON.stringify(BIN)} ${args} | head -1`);
      expect(r.stderr, args).toBe("");
      expect(r.code, args).toBe(0);
      expect(r.stdout.split("\n").filter(Boolean)).toHaveLength(1);
    }
  });

  it("usage errors exit 2, as every other request that is not carried out", async () => {
    for (const args of [["runs", "--no-such-option"], ["show"], ["no-such-command"], ["completion", "fish"]]) {
      const r = await cli(...args);
      expect(r.code, args.join(" ")).toBe(2);
      expect(r.stderr, args.join(" ")).not.toMatch(/\n\s+at /);
    }
    const help = await cli("--help");
    expect(help.stdout).toMatch(/^Exit status \(the same for every command\):$/m);
    expect(help.stdout).toMatch(/^ {2}1 {4}failed: .*the workflow file is invalid/m);
  });

  it("workspaces list shows every workspace to the admin token", async () => {
    expect((await cli("workspaces", "create", "listed-by-cli")).code).toBe(0);
    const r = await cli("workspaces", "list");
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^ID\s+NAME\s+CREATED$/m);
    expect(r.stdout).toMatch(/^ws_\w+\s+listed-by-cli\s+\d{4}-/m);
  });

  it("runner: a rejected token says unauthorized and exits 1 at once instead of reconnecting", async () => {
    const r = await runCli(["runner", "--server", s.url, "--name", "rejected", "--no-sandbox", "--work-dir", path.join(scratch, "rejected")], {
      env: { ...env(), SHIPYARD_TOKEN: "", SHIPYARD_RUNNER_TOKEN: "shp_not_a_token", SHIPYARD_LOG_LEVEL: "fatal" },
      guardMs: 30_000,
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^shipyard: unauthorized: the server refused this runner's token/m);
  });

  it("runner: takes its token from SHIPYARD_RUNNER_TOKEN or --token-file, never from its command line", async () => {
    const created = await s.api("POST", "/tokens", { name: "cli-runner", role: "runner" });
    expect(created.status).toBe(201);
    const token = created.body.token as string;
    const tokenFile = path.join(scratch, "runner-token");
    await fs.writeFile(tokenFile, `${token}\n`, { mode: 0o600 });
    const ways: [string, string[], Record<string, string>][] = [
      ["by-env", [], { SHIPYARD_RUNNER_TOKEN: token }],
      ["by-file", ["--token-file", tokenFile], {}],
    ];
    for (const [name, args, extra] of ways) {
      const child = spawn(process.execPath, [BIN, "runner", "--server", s.url, "--name", name, "--no-sandbox", "--work-dir", path.join(scratch, name), ...args], {
        env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: scratch, SHIPYARD_LOG_LEVEL: "fatal", ...extra },
        stdio: "ignore",
      });
      try {
        await waitFor(async () => (await s.api("GET", "/runners")).body.runners.some((r: { name: string; status: string }) => r.name === name && r.status === "online"), 30_000, `runner ${name} online`);
        const argv = (await fs.readFile(`/proc/${child.pid}/cmdline`, "utf8")).split("\0");
        expect(argv).toContain(name);
        expect(argv.join(" ")).not.toContain(token);
      } finally {
        child.kill("SIGTERM");
        await new Promise((resolve) => (child.exitCode !== null ? resolve(null) : child.once("exit", resolve)));
      }
    }
  });

  it("without a server configured: exit 2 and a message that says how to start one", async () => {
    const empty = await fs.mkdtemp(path.join(scratch, "nowhere-"));
    for (const args of [["runs"], ["run", path.join(REPO, "examples", "hello.yaml")]]) {
      const r = await runCli(args, { env: {}, cwd: empty });
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/no Shipyard server found/);
      expect(r.stderr).toContain("npm start");
      expect(r.stderr).toContain("SHIPYARD_URL");
    }
  });
});
