// Projects made from templates, on a real Shipyard with its sandboxed local runner: each template builds and
// verifies offline in a checkout cloned from the project's own bare repository, and a patch job's branch lands
// there. Local repositories are turned off, as an operator may: Shipyard's own repositories still work.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import os from "node:os";
import { runCli } from "./helpers/cli.ts";
import { loadCatalogue, TEMPLATES_DIR, templateBuildScript, templateVerifyScript } from "../src/projects/templates.ts";
import { jobToEnd, operationEvents, startTestShipyard, type TestShipyard } from "./helpers/shipyard.ts";

let s: TestShipyard;
beforeAll(async () => {
  s = await startTestShipyard({ env: { SHIPYARD_ALLOW_LOCAL_REPOS: "false" } });
});
afterAll(async () => {
  await s?.stop();
});

const catalogue = loadCatalogue();
const git = (repo: string, ...args: string[]) => execFileSync("git", ["-c", "safe.directory=*", "--git-dir", repo, ...args], { encoding: "utf8" }).trim();
const agentLines = async (jobId: string) => (await operationEvents(s, jobId)).filter((e) => e.type === "log" && e.payload.stepId === "agent").map((e) => e.payload.line as string);

/** Create a project from `template` (no network for its agent stage) and return it. */
async function templateProject(name: string, template: string, verify: string[]) {
  const res = await s.api("POST", "/projects", { name, template, verify, agentNetwork: false });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  expect(res.body).toMatchObject({ managedRepo: true, repo: path.join(s.dataDir, "repos", `${res.body.id}.git`) });
  return res.body as { id: string; repo: string };
}

describe("projects from templates on a real runner", () => {
  it("the server refuses a local repository path: the rule the managed repositories are exempt from is on", async () => {
    const res = await s.api("POST", "/projects", { name: "local", repo: "/srv/some.git" });
    expect(res.status).toBe(422);
    expect(res.body).toMatchObject({ code: "repo_not_allowed" });
  });

  for (const name of ["static", "react-vite", "world"]) {
    it(`${name}: a job clones the project, builds and verifies it offline in the sandbox, and pushes what the build left`, async () => {
      const m = catalogue.get(name)!.manifest;
      const project = await templateProject(`built-${name}`, name, ["test -s build-output.txt"]);
      // Built twice (the script must survive it); a preview is served under a path of its own, so the page
      // may refer to nothing by an absolute path.
      const command = [
        "set -eo pipefail",
        templateBuildScript(m),
        templateBuildScript(m),
        templateVerifyScript(m),
        `if grep -qE '(src|href)="/[^/]' ${m.output}/index.html; then echo "absolute reference in the built page" >&2; exit 1; fi`,
        `(cd ${m.output} && find . -type f | sort) > build-output.txt`,
      ].join("\n");
      const created = await s.api("POST", "/jobs", { projectId: project.id, prompt: `Build ${name}`, executor: { type: "command", command } });
      expect(created.status, JSON.stringify(created.body)).toBe(201);
      const job = await jobToEnd(s, created.body.id, 120_000);
      const lines = await agentLines(job.id);
      expect(job.status, `${job.error}\n${lines.join("\n")}`).toBe("succeeded");
      const built = git(project.repo, "show", `${job.branch}:build-output.txt`).split("\n");
      expect(built).toContain("./index.html");
      if (name === "react-vite") {
        expect(built.some((f) => /^\.\/assets\/index-[\w-]+\.js$/.test(f)), built.join("\n")).toBe(true);
        expect(lines.some((l) => l.startsWith("verify: App renders"))).toBe(true);
      }
      if (name === "world") expect(lines.some((l) => l.startsWith("simulate: 6 avatars walked"))).toBe(true);
      if (name !== "react-vite") expect(lines.some((l) => l.startsWith("check-site: 1 page(s)"))).toBe(true);
      // Only the listing was committed: node_modules, the output and caches are the template's .gitignore's.
      expect(git(project.repo, "diff", "--name-only", `main..${job.branch}`)).toBe("build-output.txt");
    });
  }

  it("a patch job on a template project pushes its branch to the project's own repository", async () => {
    const project = await templateProject("patched", "static", ["node scripts/check-site.mjs site"]);
    const lines = readFileSync(path.join(TEMPLATES_DIR, "static", "site", "index.html"), "utf8").split("\n");
    const at = lines.indexOf("    <title>A new site</title>");
    const context = (from: number, to: number) => lines.slice(from, to).map((l) => ` ${l}`);
    const diff = [
      "diff --git a/site/index.html b/site/index.html",
      "--- a/site/index.html",
      "+++ b/site/index.html",
      `@@ -${at - 2},7 +${at - 2},7 @@`,
      ...context(at - 3, at),
      `-${lines[at]}`,
      "+    <title>Patched</title>",
      ...context(at + 1, at + 4),
      "",
    ].join("\n");
    const created = await s.api("POST", "/jobs", { projectId: project.id, prompt: "Retitle the page", executor: { type: "patch", diff } });
    const job = await jobToEnd(s, created.body.id);
    expect(job.status, job.error).toBe("succeeded");
    expect(git(project.repo, "rev-parse", `refs/heads/${job.branch}`)).toBe(job.commit);
    expect(git(project.repo, "show", `${job.branch}:site/index.html`)).toContain("<title>Patched</title>");
    expect(git(project.repo, "rev-list", "--count", `main..${job.branch}`)).toBe("1");
    expect(git(project.repo, "log", "-1", "--format=%an|%s", "main")).toBe("Shipyard|Create patched from the static template");
  });
});

describe("CLI: templates and projects new", () => {
  const cli = (...args: string[]) => runCli(args, { env: { PATH: process.env.PATH ?? "", HOME: os.tmpdir(), SHIPYARD_URL: s.url, SHIPYARD_TOKEN: s.adminToken, NO_COLOR: "1" } });

  it("lists the templates, creates a project from one, and names the known ones for an unknown template", async () => {
    const list = await cli("templates");
    expect(list.code, list.stderr).toBe(0);
    expect(list.stdout).toMatch(/^NAME\s+TITLE\s+DESCRIPTION/m);
    expect(list.stdout).toMatch(/^world\s+2D world\s+A 2D canvas world/m);
    const json = JSON.parse((await cli("templates", "--json")).stdout);
    expect(json.map((t: { name: string }) => t.name)).toEqual(catalogue.names());

    const created = await cli("projects", "new", "cli-world", "--template", "world");
    expect(created.code, created.stderr).toBe(0);
    expect(created.stdout).toMatch(/^project cli-world \(prj_\w+\) from the world template$/m);
    expect(created.stdout).toContain("(Shipyard's own), branch main");
    const again = JSON.parse((await cli("projects", "new", "cli-app", "--template", "react-vite", "--json")).stdout);
    expect(again).toMatchObject({ name: "cli-app", template: "react-vite", managedRepo: true });
    expect(git(again.repo, "log", "-1", "--format=%s", "main")).toBe("Create cli-app from the react-vite template");

    const unknown = await cli("projects", "new", "cli-x", "--template", "vue");
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('no template "vue": the templates are react-vite, static, world');
    const names = (await s.api("GET", "/projects")).body.projects.map((p: { name: string }) => p.name);
    expect(names).not.toContain("cli-x");
  });
});
