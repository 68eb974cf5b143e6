// The CLI where no server is needed: shell completion generated from the command tree, and bin/shipyard.js
// choosing between the compiled CLI and the sources.
import { spawnSync } from "node:child_process";
import { promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import { Command } from "commander";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bashCompletion, zshCompletion } from "../src/cli/completion.ts";
import { BIN, REPO, runCli } from "./helpers/cli.ts";

let scratch: string;
beforeAll(async () => {
  scratch = await fs.mkdtemp(path.join(os.tmpdir(), "shipyard-cli-local-"));
});
afterAll(async () => {
  if (scratch) await fs.rm(scratch, { recursive: true, force: true });
});

const env = () => ({ PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: scratch, NO_COLOR: "1" });

/** What bash's completion offers for the words of a command line (the last one being completed). */
function complete(words: string[]): string[] {
  const script = `source <(${JSON.stringify(process.execPath)} ${JSON.stringify(BIN)} completion bash)
COMP_WORDS=(${words.map((w) => JSON.stringify(w)).join(" ")}); COMP_CWORD=${words.length - 1}; _shipyard; printf '%s\\n' "\${COMPREPLY[@]}"`;
  const r = spawnSync("bash", ["-c", script], { env: env(), encoding: "utf8" });
  expect(r.stderr).toBe("");
  return r.stdout.split("\n").filter(Boolean);
}

describe("shipyard completion", () => {
  it("bash: the script loads and registers a completion for shipyard", async () => {
    const r = spawnSync("bash", ["-c", `source <(${JSON.stringify(process.execPath)} ${JSON.stringify(BIN)} completion bash); complete -p shipyard`], { env: env(), encoding: "utf8" });
    expect(r.status).toBe(0);
    expect(r.stdout.trim()).toBe("complete -o default -F _shipyard shipyard");
  });

  it("bash: completes commands, subcommands and each command's own options, skipping option values", () => {
    expect(complete(["shipyard", "ru"]).sort()).toEqual(["run", "runner", "runners", "runs"]);
    expect(complete(["shipyard", "secrets", ""])).toEqual(["list", "set", "rm", "--help", "-h"]);
    expect(complete(["shipyard", "run", "--input", "run", "--d"])).toEqual(["--detach"]);
    expect(complete(["shipyard", "tokens", "create", "--r"])).toEqual(["--role"]);
    // After an option that takes a value, nothing of the tree is offered: the shell's default (files) applies.
    expect(complete(["shipyard", "run", "--input", ""])).toEqual([]);
  });

  it("is generated from the command tree: a command added to it completes with no list to edit", () => {
    const program = new Command().name("shipyard");
    program.command("zeta").description("a new command").option("--omega <x>", "its option").command("deep").description("below it");
    const bash = bashCompletion(program);
    expect(bash).toContain("'zeta') words='deep --omega --help -h' ;;");
    expect(bash).toContain("'zeta.deep') words='--help -h' ;;");
    const zsh = zshCompletion(program);
    expect(zsh).toMatch(/^#compdef shipyard$/m);
    expect(zsh).toContain("('zeta') subs=('deep:below it'); opts=('--omega:its option' '--help:display help' '-h:display help') ;;");
  });

  it("zsh: every top-level command is offered with its description", async () => {
    const r = await runCli(["completion", "zsh"], { env: env() });
    expect(r.code).toBe(0);
    const help = (await runCli(["--help"], { env: env() })).stdout;
    const commands = [...help.matchAll(/^ {2}([a-z][a-z-]*)\b/gm)].map((m) => m[1]!).filter((c) => c !== "help");
    expect(commands.length).toBeGreaterThan(20);
    for (const c of commands) expect(r.stdout).toContain(`'${c}:`);
    expect(r.stdout).toContain("compdef _shipyard shipyard");
  });
});

describe("bin/shipyard.js: compiled or from the sources", () => {
  /** A minimal checkout: bin/shipyard.js, a "source" and a "compiled" main that say which they are, and a build stamp. */
  async function checkout(): Promise<{ dir: string; run: (extra?: Record<string, string>) => string }> {
    const dir = await fs.mkdtemp(path.join(scratch, "checkout-"));
    await fs.mkdir(path.join(dir, "bin"));
    await fs.mkdir(path.join(dir, "src", "cli"), { recursive: true });
    await fs.mkdir(path.join(dir, "dist", "cli"), { recursive: true });
    await fs.copyFile(path.join(REPO, "bin", "shipyard.js"), path.join(dir, "bin", "shipyard.js"));
    await fs.symlink(path.join(REPO, "node_modules"), path.join(dir, "node_modules"));
    await fs.writeFile(path.join(dir, "package.json"), '{ "type": "module" }\n');
    await fs.writeFile(path.join(dir, "src", "cli", "main.ts"), 'const from: string = "sources";\nconsole.log(from);\n');
    await fs.writeFile(path.join(dir, "src", "cli", "other.ts"), "export {};\n");
    await fs.writeFile(path.join(dir, "dist", "cli", "main.js"), 'console.log("compiled");\n');
    const builtAt = Date.now();
    // The sources as they were when built: a second before the stamp.
    for (const f of ["main.ts", "other.ts"]) await fs.utimes(path.join(dir, "src", "cli", f), new Date(builtAt - 1000), new Date(builtAt - 1000));
    await fs.writeFile(path.join(dir, "dist", "cli", "build.json"), JSON.stringify({ builtAt, inputs: ["src/cli/main.ts", "src/cli/other.ts"] }));
    const run = (extra: Record<string, string> = {}) => {
      const r = spawnSync(process.execPath, [path.join(dir, "bin", "shipyard.js")], { env: { ...env(), ...extra }, encoding: "utf8" });
      expect(r.stderr).toBe("");
      return r.stdout.trim();
    };
    return { dir, run };
  }

  it("runs the build while no source it lists has changed", async () => {
    expect((await checkout()).run()).toBe("compiled");
  });

  it("runs the sources once one of them is newer than the build, is gone, or the build is missing", async () => {
    const edited = await checkout();
    const later = new Date(Date.now() + 2000);
    await fs.utimes(path.join(edited.dir, "src", "cli", "other.ts"), later, later);
    expect(edited.run()).toBe("sources");

    const removed = await checkout();
    await fs.rm(path.join(removed.dir, "src", "cli", "other.ts"));
    expect(removed.run()).toBe("sources");

    const unbuilt = await checkout();
    await fs.rm(path.join(unbuilt.dir, "dist"), { recursive: true });
    expect(unbuilt.run()).toBe("sources");
  });

  it("runs the sources when SHIPYARD_FROM_SOURCE=1 says so", async () => {
    expect((await checkout()).run({ SHIPYARD_FROM_SOURCE: "1" })).toBe("sources");
  });
});
