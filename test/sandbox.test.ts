// The step sandbox, probed as an attacker would: a step submitted with a workspace's token tries to read the
// keys of the house, another run's workspace and other processes' environments, tries the network, and is
// looked at from the host to see which user it really runs as.
import { spawn } from "node:child_process";
import { promises as fs } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pidsWith, uniqueSleep } from "./helpers/liveness.ts";
import { BIN } from "./helpers/process.ts";
import { runToEnd, startTestShipyard, waitFor, type TestShipyard } from "./helpers/shipyard.ts";

let s: TestShipyard;
let team: { id: string; token: string };

beforeAll(async () => {
  s = await startTestShipyard();
  team = (await s.api("POST", "/workspaces", { name: "attackers" })).body;
});
afterAll(async () => {
  await s?.stop();
});

/** Run a one-step workflow with `token` (default: the attacking workspace's) and return the run and its log lines. */
async function probe(script: string, extra = "", token = team.token): Promise<{ run: any; lines: string[] }> {
  const workflow = `name: probe\nsteps:\n  - id: probe\n${extra}    run: |\n${script.split("\n").map((l) => `      ${l}`).join("\n")}\n`;
  const created = await s.api("POST", "/runs", { workflow }, token);
  expect(created.status).toBe(201);
  const run = await waitFor(async () => {
    const r = await s.api("GET", `/runs/${created.body.id}`, undefined, token);
    return ["succeeded", "failed", "cancelled"].includes(r.body.status) ? r.body : null;
  });
  const events = (await s.api("GET", `/operations/${run.id}/events?limit=5000`, undefined, token)).body.events as any[];
  return { run, lines: events.filter((e) => e.type === "log").map((e) => e.payload.line as string) };
}

describe("the step sandbox", () => {
  it("shows a step nothing of the data dir, by relative or absolute path", async () => {
    const secrets = ["admin-token", "secret-key"];
    for (const name of secrets) expect((await fs.stat(path.join(s.dataDir, name))).isFile()).toBe(true);
    const tries = secrets.flatMap((name) => [`../../../${name}`, path.join(s.dataDir, name)]);
    const { run, lines } = await probe(
      [...tries.map((p) => `cat ${p} 2>/dev/null && echo "READ ${p}" || echo "refused ${p}"`), `ls -a ${s.dataDir} | tr '\\n' ' '; echo`].join("\n"),
    );
    expect(run.status).toBe("succeeded");
    for (const p of tries) expect(lines).toContain(`refused ${p}`);
    expect(lines.some((l) => l.startsWith("READ"))).toBe(false);
    // Only the directories leading to its own workspace exist there, empty but for that path.
    const listing = lines.find((l) => l.startsWith(". .."))!;
    expect(listing.trim().split(" ").sort()).toEqual([".", "..", "runner"]);
  });

  it("keeps another run's workspace out of reach", async () => {
    const first = await runToEnd(s, "name: a\nsteps:\n  - id: a\n    run: echo private > secret.txt\n");
    const theirs = path.join(s.dataDir, "runner", "workspaces", first.id);
    expect(await fs.readFile(path.join(theirs, "secret.txt"), "utf8")).toBe("private\n");
    const { run, lines } = await probe(`cat ${theirs}/secret.txt 2>/dev/null || echo refused\nls ${path.dirname(theirs)}`);
    expect(run.status).toBe("succeeded");
    expect(lines).toContain("refused");
    expect(lines).not.toContain(first.id);
    expect(lines).not.toContain("private");
  });

  it("shows a step only its own processes, none holding a token", async () => {
    const { run, lines } = await probe(
      [
        `ls /proc | grep -cE '^[0-9]+$' | sed 's/^/processes=/'`,
        `grep -l ${s.adminToken} /proc/*/environ 2>/dev/null || echo "no admin token"`,
        `grep -l SHIPYARD_TOKEN /proc/*/environ 2>/dev/null || echo "no SHIPYARD_TOKEN"`,
        `env | grep -c ${s.adminToken} || true`,
      ].join("\n"),
    );
    expect(run.status).toBe("succeeded");
    expect(lines).toContain("no admin token");
    expect(lines).toContain("no SHIPYARD_TOKEN");
    // bwrap's init, bash, and the pipeline: a handful, never the host's hundreds.
    const count = Number(lines.find((l) => l.startsWith("processes="))!.split("=")[1]);
    expect(count).toBeLessThan(10);
  });

  it("runs steps as an unprivileged user on the host", async () => {
    const marker = uniqueSleep();
    const created = await s.api("POST", "/runs", { workflow: `name: who\nsteps:\n  - id: who\n    run: sleep ${marker}\n` }, team.token);
    const [pid] = await waitFor(async () => {
      const found = await pidsWith(`sleep\0${marker}`);
      return found.length === 1 && found;
    }, 20_000, "the step's sleep");
    const status = await fs.readFile(`/proc/${pid}/status`, "utf8");
    const uids = /^Uid:\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)/m.exec(status)!.slice(1).map(Number);
    expect(uids.every((u) => u !== 0)).toBe(true);
    expect((await s.api("POST", `/runs/${created.body.id}/cancel`, undefined, team.token)).status).toBe(202);
  });

  it("has no network unless the step (or its workspace) asks for it", async () => {
    const curl = `curl -s -m 5 -o /dev/null -w 'http=%{http_code}\\n' ${s.url}/healthz || echo unreachable`;
    const off = await probe(curl);
    expect(off.lines).toContain("unreachable");
    const on = await probe(curl, "    network: true\n");
    expect(on.lines).toContain("http=200");
    // The workspace's default, for steps that do not say.
    expect((await s.api("PUT", "/settings", { stepNetwork: true }, team.token)).body).toMatchObject({ stepNetwork: true });
    expect((await probe(curl)).lines).toContain("http=200");
    expect((await probe(curl, "    network: false\n")).lines).toContain("unreachable");
    await s.api("PUT", "/settings", { stepNetwork: false }, team.token);
  });

  it("refuses network on an llm step, which runs on the server", async () => {
    const bad = await s.api("POST", "/workflows/validate", { workflow: "name: x\nsteps:\n  - id: ask\n    network: true\n    llm: { model: replay:demo, prompt: hi }\n" });
    expect(bad.body.valid).toBe(false);
    expect(bad.body.errors[0]).toMatchObject({ line: 4, message: expect.stringContaining("network applies to steps a runner executes") });
  });
});

describe("a runner without bubblewrap", () => {
  let reported: string | undefined;
  const runnerProcess = (args: string[]) =>
    new Promise<{ code: number | null; stderr: string }>((resolve) => {
      const child = spawn(process.execPath, [BIN, "runner", "--server", s.url, "--token", s.adminToken, "--name", "nobwrap", "--work-dir", path.join(s.dataDir, "nobwrap"), ...args], {
        env: { ...process.env, SHIPYARD_BWRAP: "/nonexistent/bwrap", SHIPYARD_LOG_LEVEL: "error" },
        stdio: ["ignore", "ignore", "pipe"],
      });
      let stderr = "";
      child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
      const timer = setTimeout(() => child.kill("SIGTERM"), 20_000);
      if (args.includes("--no-sandbox")) {
        void waitFor(async () => (await s.api("GET", "/runners")).body.runners.find((r: any) => r.name === "nobwrap" && r.status === "online"), 20_000).then((r) => {
          reported = r.sandbox;
          child.kill("SIGTERM");
        });
      }
      child.once("exit", (code) => {
        clearTimeout(timer);
        resolve({ code, stderr });
      });
    });

  it("refuses to start, saying how to install it, unless told --no-sandbox (which it warns about)", async () => {
    const refused = await runnerProcess([]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("bubblewrap (bwrap) is not installed");
    expect(refused.stderr).toContain("apt-get install bubblewrap");
    expect(refused.stderr).toContain("--no-sandbox");
    const unsandboxed = await runnerProcess(["--no-sandbox"]);
    expect(unsandboxed.stderr).toContain("warning: --no-sandbox: steps run unsandboxed");
    // ...and tells the server, which shows it.
    expect(reported).toBe("none");
  });
});
