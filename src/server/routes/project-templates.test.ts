import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, statSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startInMemoryApp, type InMemoryApp } from "../../../test/helpers/in-memory-app.ts";
import { MANIFEST_FILE, TEMPLATES_DIR } from "../../projects/templates.ts";

let t: InMemoryApp;
beforeAll(async () => {
  t = await startInMemoryApp("templates");
});
afterAll(async () => {
  await t?.close();
});

const git = (dir: string, ...args: string[]) => execFileSync("git", ["-c", "safe.directory=*", "--git-dir", dir, ...args], { encoding: "utf8" }).trim();

/** Every file of a template directory but its manifest, relative and sorted. */
function templateFiles(name: string): string[] {
  const root = path.join(TEMPLATES_DIR, name);
  const walk = (dir: string): string[] =>
    readdirSync(dir).flatMap((f) => (statSync(path.join(dir, f)).isDirectory() ? walk(path.join(dir, f)) : [path.relative(root, path.join(dir, f))]));
  return walk(root).filter((f) => f !== MANIFEST_FILE).sort();
}

const reposEntries = () => (existsSync(t.reposDir) ? readdirSync(t.reposDir) : []);
const projectCount = async () => Number((await t.pool.query("select count(*) from projects")).rows[0].count);

describe("GET /templates", () => {
  it("lists the catalogue: name, title and description of each template", async () => {
    const res = await t.api("GET", "/templates");
    expect(res.status).toBe(200);
    const names = res.body.templates.map((x: { name: string }) => x.name);
    expect(names).toEqual(expect.arrayContaining(["static", "react-vite", "world"]));
    for (const x of res.body.templates) {
      expect(Object.keys(x).sort()).toEqual(["description", "name", "title"]);
      expect(x.title.length).toBeGreaterThan(0);
    }
  });
});

describe("POST /projects with a template", () => {
  it("creates Shipyard's own bare repository with one commit by Shipyard holding the template's files", async () => {
    const res = await t.api("POST", "/projects", { name: "site", template: "static" });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    const repo = path.join(t.reposDir, `${res.body.id}.git`);
    expect(res.body).toMatchObject({ name: "site", template: "static", managedRepo: true, repo, defaultBranch: "main" });
    expect(git(repo, "rev-list", "--count", "main")).toBe("1");
    expect(git(repo, "log", "-1", "--format=%an|%cn|%s", "main")).toBe("Shipyard|Shipyard|Create site from the static template");
    expect(git(repo, "ls-tree", "-r", "--name-only", "main").split("\n").sort()).toEqual(templateFiles("static"));
    expect(git(repo, "symbolic-ref", "HEAD")).toBe("refs/heads/main");
    // Nothing is left of the scratch work: just the repository.
    expect(reposEntries()).toEqual([`${res.body.id}.git`]);
    // The local runner's sandbox user pushes to it.
    expect(statSync(path.join(repo, "refs", "heads")).mode & 0o007).toBe(0o007);
    const got = await t.api("GET", `/projects/${res.body.id}`);
    expect(got.body).toMatchObject({ template: "static", managedRepo: true });
  });

  it("keeps the coding agent its builds use: builtin by default, claude-code when asked, anything else a 400", async () => {
    const builtin = await t.api("POST", "/projects", { name: "agent-default", template: "static" });
    expect([builtin.status, builtin.body.buildAgent]).toEqual([201, "builtin"]);
    const claude = await t.api("POST", "/projects", { name: "agent-claude", template: "static", buildAgent: "claude-code" });
    expect([claude.status, claude.body.buildAgent]).toEqual([201, "claude-code"]);
    expect((await t.api("GET", `/projects/${claude.body.id}`)).body.buildAgent).toBe("claude-code");
    const bad = await t.api("POST", "/projects", { name: "agent-bad", template: "static", buildAgent: "gpt" });
    expect(bad.status).toBe(400);
    expect((await t.api("GET", "/projects")).body.projects.some((p: { name: string }) => p.name === "agent-bad")).toBe(false);
  });

  it("commits the template to the default branch of a remote given with it", async () => {
    const remote = path.join(mkdtempSync(path.join(os.tmpdir(), "shipyard-remote-")), "r.git");
    execFileSync("git", ["init", "-q", "--bare", "-b", "trunk", remote]);
    const before = reposEntries();
    const res = await t.api("POST", "/projects", { name: "world-remote", template: "world", repo: remote, defaultBranch: "trunk" });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(res.body).toMatchObject({ repo: remote, template: "world", managedRepo: false });
    expect(git(remote, "log", "-1", "--format=%an|%s", "trunk")).toBe("Shipyard|Create world-remote from the world template");
    expect(git(remote, "ls-tree", "-r", "--name-only", "trunk").split("\n").sort()).toEqual(templateFiles("world"));
    expect(reposEntries()).toEqual(before);
  });

  it("answers 400 for neither a repo nor a template, and for an unknown template naming the known ones; nothing is created", async () => {
    const rows = await projectCount();
    const before = reposEntries();
    const neither = await t.api("POST", "/projects", { name: "nothing" });
    expect(neither.status).toBe(400);
    expect(neither.body).toMatchObject({ code: "invalid_request" });
    expect(neither.body.detail).toContain("give a repo, a template, or both");

    const unknown = await t.api("POST", "/projects", { name: "nope", template: "no-such-template" });
    expect(unknown.status).toBe(400);
    expect(unknown.body).toMatchObject({ code: "invalid_request" });
    expect(unknown.body.detail).toContain('no template "no-such-template"');
    expect(unknown.body.detail).toContain("react-vite");

    const badName = await t.api("POST", "/projects", { name: "bad", template: "../static" });
    expect(badName.status).toBe(400);
    expect(await projectCount()).toBe(rows);
    expect(reposEntries()).toEqual(before);
  });

  it("a taken name (409) or a remote that refuses the push (422) leaves no project and no repository", async () => {
    const first = await t.api("POST", "/projects", { name: "app", template: "react-vite" });
    expect(first.status).toBe(201);
    const rows = await projectCount();
    const before = reposEntries();

    const again = await t.api("POST", "/projects", { name: "app", template: "static" });
    expect(again.status).toBe(409);
    expect(again.body).toMatchObject({ code: "project_exists" });

    // A remote whose branch already has history of its own: the template is not forced over it.
    const remote = path.join(mkdtempSync(path.join(os.tmpdir(), "shipyard-remote-")), "r.git");
    execFileSync("git", ["init", "-q", "--bare", "-b", "main", remote]);
    execFileSync("git", ["--git-dir", first.body.repo, "push", "-q", remote, "main:main"]);
    const refused = await t.api("POST", "/projects", { name: "taken-remote", template: "static", repo: remote });
    expect(refused.status, JSON.stringify(refused.body)).toBe(422);
    expect(git(remote, "log", "-1", "--format=%s", "main")).toBe("Create app from the react-vite template");

    expect(await projectCount()).toBe(rows);
    expect(reposEntries()).toEqual(before);
  });
});
