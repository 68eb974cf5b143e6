// A stub `wrangler` for the Cloudflare Pages target's tests: a real executable that records its calls.
import { promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";

/** A stub `wrangler` that records each call's arguments and Cloudflare env, and keeps its Pages projects in a file. */
export async function stubWrangler(): Promise<{ bin: string; calls: () => Promise<{ args: string[]; token?: string; account?: string }[]> }> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), "shipyard-wrangler-"));
  const log = path.join(dir, "calls.jsonl");
  const projects = path.join(dir, "projects.txt");
  const bin = path.join(dir, "wrangler");
  await fs.writeFile(
    bin,
    `#!${process.execPath}
const fs = require("node:fs");
const args = process.argv.slice(2);
fs.appendFileSync(${JSON.stringify(log)}, JSON.stringify({ args, token: process.env.CLOUDFLARE_API_TOKEN, account: process.env.CLOUDFLARE_ACCOUNT_ID }) + "\\n");
const known = fs.existsSync(${JSON.stringify(projects)}) ? fs.readFileSync(${JSON.stringify(projects)}, "utf8").split("\\n").filter(Boolean) : [];
const cmd = args.slice(0, 3).join(" ");
if (cmd === "pages project list") {
  console.log("┌──────────────┬─────────┐\\n│ Project Name │ Domains │");
  for (const p of known) console.log("│ " + p + " │ " + p + ".pages.dev │");
} else if (cmd.startsWith("pages project create")) {
  fs.appendFileSync(${JSON.stringify(projects)}, args[3] + "\\n");
  console.log("✨ Successfully created the '" + args[3] + "' project.");
} else if (args[0] === "pages" && args[1] === "deploy") {
  const name = args[args.indexOf("--project-name") + 1];
  const branch = args[args.indexOf("--branch") + 1];
  if (!known.includes(name)) { console.error("✘ [ERROR] Project not found. The specified project name does not match any of your existing projects. [code: 8000007]"); process.exit(1); }
  console.log("✨ Success! Uploaded 2 files (1.23 sec)\\n✨ Deployment complete! Take a peek over at https://a1b2c3d4." + name + ".pages.dev\\n✨ Deployment alias URL: https://" + branch + "." + name + ".pages.dev");
} else { console.error("unknown command " + cmd); process.exit(2); }
`,
    { mode: 0o755 },
  );
  const calls = async () => (await fs.readFile(log, "utf8").catch(() => "")).split("\n").filter(Boolean).map((l) => JSON.parse(l) as { args: string[]; token?: string; account?: string });
  return { bin, calls };
}
