import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, symlinkSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { bwrapArgs, SANDBOX_TASK_DIR } from "./bwrap.ts";
import { checkRepoMount, runnerReadOnlyDirs } from "./mounts.ts";

const root = mkdtempSync(path.join(os.tmpdir(), "shipyard-mounts-"));
const workDir = path.join(root, "data", "runner");
mkdirSync(path.join(workDir, "workspaces", "run_a"), { recursive: true });
const bare = path.join(root, "remote.git");
execFileSync("git", ["init", "-q", "--bare", bare]);
const plain = path.join(root, "plain");
mkdirSync(plain);

describe("checkRepoMount", () => {
  it("accepts a git repository away from the work dir, by its real path", () => {
    expect(checkRepoMount(bare, workDir)).toBe(bare);
    const link = path.join(root, "link.git");
    symlinkSync(bare, link);
    expect(checkRepoMount(link, workDir)).toBe(bare);
  });

  it("refuses what is not a repository, relative paths, the root, and anything overlapping the work dir", () => {
    expect(() => checkRepoMount(plain, workDir)).toThrow("not a git repository");
    expect(() => checkRepoMount("remote.git", workDir)).toThrow("absolute path");
    expect(() => checkRepoMount("/", workDir)).toThrow("overlaps");
    expect(() => checkRepoMount(path.join(root, "data"), workDir)).toThrow("overlaps");
    expect(() => checkRepoMount(path.join(workDir, "workspaces", "run_a"), workDir)).toThrow("overlaps");
    // A symlink into the work dir is judged by where it leads.
    const sneaky = path.join(root, "sneaky");
    symlinkSync(path.join(workDir, "workspaces"), sneaky);
    expect(() => checkRepoMount(sneaky, workDir)).toThrow("overlaps");
    expect(() => checkRepoMount(path.join(root, "missing"), workDir)).toThrow("not a directory");
  });
});

describe("runnerReadOnlyDirs", () => {
  it("shows the installation's parts and PATH toolchains, never the work dir or what holds it", () => {
    const home = path.join(root, "home");
    for (const part of ["src", "node_modules", "bin"]) mkdirSync(path.join(home, part), { recursive: true });
    const tools = path.join(root, "tools");
    mkdirSync(tools);
    const dirs = runnerReadOnlyDirs({
      shipyardHome: home,
      workDir,
      pathVar: [tools, "/usr/bin", "relative/bin", path.join(root, "data"), workDir, path.join(root, "nope")].join(":"),
      nodeBin: "/usr/bin/node",
      othersOnly: false,
    });
    expect(dirs.sort()).toEqual([path.join(home, "bin"), path.join(home, "node_modules"), path.join(home, "src"), tools].sort());
  });
});

describe("bwrapArgs", () => {
  it("unshares everything, shares the network only when asked, and binds the workspace and task dir", () => {
    const m = { workspace: "/w/ws", taskDir: "/w/task", readOnly: ["/opt/tools"], writable: ["/srv/repo.git"], network: false };
    const args = bwrapArgs(m, ["bash", "-c", "true"]);
    expect(args.slice(0, 1)).toEqual(["--unshare-all"]);
    expect(args).not.toContain("--share-net");
    expect(bwrapArgs({ ...m, network: true }, ["true"])).toContain("--share-net");
    const pairs = (flag: string) => args.flatMap((a, i) => (a === flag ? [`${args[i + 1]} ${args[i + 2]}`] : []));
    expect(pairs("--bind")).toEqual(["/srv/repo.git /srv/repo.git", "/w/ws /w/ws", `/w/task ${SANDBOX_TASK_DIR}`]);
    expect(pairs("--ro-bind")).toContain("/opt/tools /opt/tools");
    expect(args.slice(args.indexOf("--"))).toEqual(["--", "bash", "-c", "true"]);
    expect(args[args.indexOf("--chdir") + 1]).toBe("/w/ws");
  });
});
