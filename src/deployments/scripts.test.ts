// The deployment scripts' guards, run for real with bash in a git clone: generated file paths cannot leave the
// repository or touch .git, contents reach the files byte for byte (never through the shell), and the URL a
// deployment is checked at is worked out as seed 000 does.
import { execFileSync } from "node:child_process";
import { promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { AppDescription } from "./generators/index.ts";
import { DeploymentTarget } from "./schemas.ts";
import { assertFilePath, deployCommitScript, fileEnv } from "./scripts.ts";
import { deploymentUrl } from "./steps.ts";

const git = (cwd: string, ...args: string[]) => execFileSync("git", ["-c", "user.name=t", "-c", "user.email=t@t", ...args], { cwd, encoding: "utf8" }).trim();

describe("deployment scripts", () => {
  it("refuses file paths outside the repository or inside .git", () => {
    for (const bad of ["../x", "/etc/passwd", "a/../../x", ".git/hooks/pre-commit", "a/.git/config", "", "a//b", "./a", "a\\b", "a\nb"]) expect(() => assertFilePath(bad), bad).toThrow(TypeError);
    expect(() => assertFilePath("deploy/helm/app/templates/_helpers.tpl")).not.toThrow();
  });

  it("commits contents byte for byte, quotes, $, backticks and newlines included, and pushes once", async () => {
    const root = await fs.mkdtemp(path.join(os.tmpdir(), "shipyard-deploy-script-"));
    const remote = path.join(root, "remote.git");
    const clone = path.join(root, "clone");
    execFileSync("git", ["init", "-q", "--bare", "-b", "main", remote]);
    execFileSync("git", ["clone", "-q", remote, clone], { stdio: "ignore" });
    await fs.writeFile(path.join(clone, "README.md"), "x\n");
    git(clone, "add", "-A");
    git(clone, "commit", "-q", "-m", "initial");
    git(clone, "push", "-q", "origin", "HEAD:main");
    const content = "a: '$HOME' \"`id`\" $(whoami)\n\\n ünïcode\n%s %%\n";
    const files = [{ path: "deploy/odd name/it's.yaml", content }];
    const run = () => {
      const out = path.join(root, `out-${Math.random()}`);
      execFileSync("bash", ["-eo", "pipefail", "-c", deployCommitScript({ defaultBranch: "main", branch: "main", deploymentId: "dep_1", files })], {
        cwd: clone,
        env: { PATH: process.env.PATH, HOME: root, GIT_AUTHOR_NAME: "t", GIT_AUTHOR_EMAIL: "t@t", GIT_COMMITTER_NAME: "t", GIT_COMMITTER_EMAIL: "t@t", SHIPYARD_OUTPUT: out, SHIPYARD_COMMIT_MESSAGE: "Deployment files", ...fileEnv(files) },
        stdio: "ignore",
      });
      return Object.fromEntries(execFileSync("cat", [out], { encoding: "utf8" }).trim().split("\n").map((l) => l.split("=") as [string, string]));
    };
    const first = run();
    expect(execFileSync("git", ["--git-dir", remote, "show", `main:deploy/odd name/it's.yaml`], { encoding: "utf8" })).toBe(content);
    expect(first.commit).toBe(execFileSync("git", ["--git-dir", remote, "rev-parse", "main"], { encoding: "utf8" }).trim());
    // Again, as after a crash past the push: the commit is found by its trailer, nothing new is made.
    const again = run();
    expect(again.commit).toBe(first.commit);
    expect(execFileSync("git", ["--git-dir", remote, "rev-list", "--count", "main"], { encoding: "utf8" }).trim()).toBe("2");
  });

  it("works out the deployment URL as seed 000 does: the published port on the Docker host, else the ingress host", () => {
    const app = AppDescription.parse({ image: "x", ports: [8080], ingress: { host: "app.example.com", tls: true } });
    const target = (t: unknown) => DeploymentTarget.parse(t);
    expect(deploymentUrl(app, target({ type: "docker" }))).toBe("http://localhost:8080");
    expect(deploymentUrl(app, target({ type: "docker", hostUrl: "unix:///var/run/docker.sock" }))).toBe("http://localhost:8080");
    expect(deploymentUrl(app, target({ type: "docker", hostUrl: "ssh://deploy@203.0.113.7:2222" }))).toBe("http://203.0.113.7:8080");
    expect(deploymentUrl(app, target({ type: "docker", hostUrl: "tcp://docker.internal:2375" }))).toBe("http://docker.internal:8080");
    expect(deploymentUrl(app, target({ type: "kubernetes", kubeconfigSecret: "k" }))).toBe("https://app.example.com");
    expect(deploymentUrl(app, target({ type: "terraform", url: "https://app.example.com/healthz" }))).toBe("https://app.example.com/healthz");
    expect(deploymentUrl(AppDescription.parse({ image: "x" }), target({ type: "kubernetes", kubeconfigSecret: "k" }))).toBeNull();
  });
});
