import { describe, expect, it } from "vitest";
import { repoLocationProblem } from "./repo-location.ts";

const LOCAL_ON = { allowLocalRepos: true, allowedHttpHosts: [] };
const LOCAL_OFF = { allowLocalRepos: false, allowedHttpHosts: [] };

describe("repoLocationProblem", () => {
  it.each([
    "https://github.com/acme/math.git",
    "https://ghe.example:8443/acme/math",
    "ssh://git@github.com/acme/math.git",
    "ssh://git@ghe.example:2222/acme/math.git",
    "git@github.com:acme/math.git",
    "deploy.bot@ghe.example:acme/math",
  ])("accepts %s", (repo) => {
    expect(repoLocationProblem(repo, LOCAL_OFF)).toBeNull();
  });

  it("accepts local paths and file:// only while SHIPYARD_ALLOW_LOCAL_REPOS is on", () => {
    for (const repo of ["/srv/git/math.git", "file:///srv/git/math.git"]) {
      expect(repoLocationProblem(repo, LOCAL_ON)).toBeNull();
      expect(repoLocationProblem(repo, LOCAL_OFF)).toMatch(/turned off on this server \(SHIPYARD_ALLOW_LOCAL_REPOS=false\)/);
    }
  });

  it("accepts plain http only to a listed host", () => {
    expect(repoLocationProblem("http://git.lan/acme/math.git", LOCAL_ON)).toMatch(/SHIPYARD_ALLOWED_HTTP_HOSTS \(git\.lan is not one\)/);
    expect(repoLocationProblem("http://git.lan/acme/math.git", { ...LOCAL_ON, allowedHttpHosts: ["git.lan"] })).toBeNull();
  });

  it.each([
    ["ext::sh -c touch% /tmp/pwned", /git remote helpers \(ext::\)/],
    ["fd::17", /git remote helpers \(fd::\)/],
    ["-uecho", /starts with '-'/],
    ["--upload-pack=touch /tmp/x", /starts with '-'/],
    ["git@-oProxyCommand.x:acme/math", /host starts with '-'/],
    ["ssh://-oProxyCommand=x/acme/math", /host or user starts with '-'/],
    ["https://x-access-token:ghp_s3cret@github.com/acme/math.git", /carries credentials/],
    ["https://ghp_s3cret@github.com/acme/math.git", /carries credentials/],
    ["ssh://git:hunter2@github.com/acme/math.git", /carries a password/],
    ["git://github.com/acme/math.git", /scheme git is not accepted/],
    ["ftp://example.com/math.git", /scheme ftp is not accepted/],
    ["some/relative/path", /expected a URL, user@host:path or an absolute path/],
    ["", /expected a URL/],
  ])("refuses %s", (repo, why) => {
    const problem = repoLocationProblem(repo, LOCAL_ON);
    expect(problem).toMatch(why);
    expect(problem).not.toContain("s3cret");
  });
});
