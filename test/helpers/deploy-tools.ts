// Stub `docker`, `helm`, `kubectl` and `terraform` for execute mode's tests: real executables on the runner's
// PATH that print one `STUB <tool> <json>` line with their arguments and the environment they were given (a
// kubeconfig and Terraform variables only as SHA-256, so a secret never reaches the log). A compose file that
// mentions `sleepy` makes docker sleep until it is killed (or print `STUB docker woke` a minute later).
import { promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";

const STUB = `#!${process.execPath}
const fs = require("node:fs");
const crypto = require("node:crypto");
const path = require("node:path");
const tool = path.basename(process.argv[1]);
const args = process.argv.slice(2);
const sha = (s) => crypto.createHash("sha256").update(s).digest("hex");
const tfVars = Object.fromEntries(Object.entries(process.env).filter(([k]) => k.startsWith("TF_VAR_")).map(([k, v]) => [k.slice(7), sha(v)]));
const kubeconfig = process.env.KUBECONFIG ? sha(fs.readFileSync(process.env.KUBECONFIG, "utf8")) : null;
console.log("STUB " + tool + " " + JSON.stringify({ args, dockerHost: process.env.DOCKER_HOST ?? null, kubeconfig, tfVars, cwd: process.cwd() }));
const file = args.includes("-f") ? args[args.indexOf("-f") + 1] : null;
if (tool === "docker" && file && fs.existsSync(file) && fs.readFileSync(file, "utf8").includes("sleepy")) {
  console.log("STUB docker sleeping");
  setTimeout(() => console.log("STUB docker woke"), 60000);
}
`;

/** A directory (reachable by the sandbox's user) holding the four stubs; put it first on the runner's PATH. */
export async function stubDeployTools(): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), "shipyard-deploy-tools-"));
  for (const tool of ["docker", "helm", "kubectl", "terraform"]) await fs.writeFile(path.join(dir, tool), STUB, { mode: 0o755 });
  await fs.chmod(dir, 0o755);
  return dir;
}

/** The stub calls an operation's events show, in order. */
export function stubCalls(events: { type: string; payload: { line?: string } }[]): { tool: string; args: string[]; dockerHost: string | null; kubeconfig: string | null; tfVars: Record<string, string> }[] {
  return events
    .filter((e) => e.type === "log" && e.payload.line?.startsWith("STUB ") && e.payload.line.includes("{"))
    .map((e) => {
      const [, tool, ...rest] = e.payload.line!.split(" ");
      return { tool: tool!, ...JSON.parse(rest.join(" ")) };
    });
}
