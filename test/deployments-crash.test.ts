// kill -9 of the whole of Shipyard (server, runner, PostgreSQL) while a generate-mode deployment pushes its commit:
// once before the remote took it (a hook holds the push in pre-receive) and once after (held in post-receive).
// Each time the next start resumes the deployment, which ends with exactly one commit on the default branch.
import { promises as fs } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeFixtureRemote } from "./helpers/git-fixture.ts";
import { crashableUp, type CrashableUp } from "./helpers/process.ts";
import { waitFor } from "./helpers/shipyard.ts";

const ENV = { SHIPYARD_ALLOW_LOCAL_REPOS: "true", SHIPYARD_RUNNER_LOST_AFTER_MS: "1000" };
const APP = { image: "ghcr.io/acme/app:1.0.0", ports: [3000] };

let shipyard: CrashableUp;
const api: CrashableUp["api"] = (method, route, body) => shipyard.api(method, route, body);

beforeAll(async () => {
  shipyard = await crashableUp("shipyard-deploy-crash-", ENV);
});
afterAll(async () => {
  await shipyard?.cleanup();
});

/**
 * A `hook` in the bare remote that says the push reached it (a file in the remote: the sandboxed push sees only
 * that directory) and waits until the test releases it.
 */
async function holdPushes(remote: string, hook: "pre-receive" | "post-receive"): Promise<{ reached: () => Promise<boolean>; release: () => Promise<void> }> {
  const script = `#!/bin/sh
cat > /dev/null
touch ./push-reached
i=0
while [ ! -e ./push-release ] && [ "$i" -lt 1200 ]; do sleep 0.1; i=$((i + 1)); done
`;
  await fs.writeFile(path.join(remote, "hooks", hook), script, { mode: 0o755 });
  return {
    reached: () => fs.access(path.join(remote, "push-reached")).then(() => true, () => false),
    release: () => fs.writeFile(path.join(remote, "push-release"), "", { mode: 0o666 }),
  };
}

async function crashDuringPush(name: string, hook: "pre-receive" | "post-receive") {
  const fixture = await makeFixtureRemote();
  const base = fixture.git("rev-parse", "main");
  const held = await holdPushes(fixture.remote, hook);
  const project = await api("POST", "/projects", { name, repo: fixture.remote, defaultBranch: "main" });
  expect(project.status, JSON.stringify(project.body)).toBe(201);
  const started = await api("POST", `/projects/${project.body.id}/deployments`, { generator: "docker-compose", config: APP, direct: true });
  expect(started.status, JSON.stringify(started.body)).toBe(202);
  await waitFor(held.reached, 90_000, `the push to reach ${hook}`);
  await shipyard.kill();
  await held.release();
  await shipyard.start();
  const d = await waitFor(async () => {
    const b = (await api("GET", `/deployments/${started.body.id}`)).body;
    return ["generated", "failed", "cancelled"].includes(b.status) ? b : null;
  }, 150_000, "the resumed deployment");
  return { d, fixture, base };
}

describe("a deployment survives kill -9 during its commit", { timeout: 400_000 }, () => {
  it("before the remote took the push: the next start commits once", async () => {
    const { d, fixture, base } = await crashDuringPush("before-push", "pre-receive");
    expect(d.status, d.error).toBe("generated");
    expect(fixture.git("rev-list", "--count", `${base}..main`)).toBe("1");
    expect(fixture.git("rev-parse", "main")).toBe(d.commit);
  });

  it("after the remote took the push: the next start finds that commit by its trailer and makes no second one", async () => {
    const { d, fixture, base } = await crashDuringPush("after-push", "post-receive");
    expect(d.status, d.error).toBe("generated");
    expect(fixture.git("rev-list", "--count", `${base}..main`)).toBe("1");
    expect(fixture.git("rev-parse", "main")).toBe(d.commit);
    expect(fixture.git("log", "-1", "--format=%B", "main")).toContain(`Shipyard-Deployment: ${d.id}`);
  });
});
