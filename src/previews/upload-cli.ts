// The upload a sandboxed step makes of a build's output: <dir> packed as a .tar.gz and streamed to
// POST /api/v1/task-artifacts?name=<name> with the task's token, through the runner's server socket when the step
// has one (a sandbox without network), else to the server's URL.
import http from "node:http";
import https from "node:https";
import { promises as fs } from "node:fs";
import { create } from "tar";
import { serverAddressFrom } from "../agents/server-call.ts";
import { ARTIFACT_NAME } from "./artifacts.ts";

const ROUTE = "/api/v1/task-artifacts";

/** Upload `dir` as artifact `name`; prints what was stored, or why not. Returns the exit code. */
export async function runUploadCli(args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const fail = (message: string) => {
    process.stderr.write(`shipyard upload: ${message}\n`);
    return 1;
  };
  const [dir, name, extra] = args;
  if (!dir || !name || extra !== undefined) return fail("usage: upload-cli.mjs <dir> <name>");
  if (!ARTIFACT_NAME.test(name)) return fail(`artifact name ${JSON.stringify(name)}: letters, digits, '.', '_' and '-' only`);
  if (!(await fs.stat(dir).catch(() => null))?.isDirectory()) return fail(`${dir} is not a directory`);
  const token = env.SHIPYARD_TASK_TOKEN;
  const address = serverAddressFrom(env);
  if (!token || !address) return fail("no task token or server address: run it in a step whose task asks for server access");
  const path = `${ROUTE}?name=${encodeURIComponent(name)}`;
  const headers = { authorization: `Bearer ${token}`, "content-type": "application/gzip" };
  const answer = await new Promise<{ status: number; text: string }>((resolve, reject) => {
    const onResponse = (res: http.IncomingMessage) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 502, text: Buffer.concat(chunks).toString("utf8") }));
      res.on("error", reject);
    };
    const req = address.socket
      ? http.request({ socketPath: address.socket, path, method: "POST", headers }, onResponse)
      : (address.url.startsWith("https:") ? https : http).request(new URL(path, address.url), { method: "POST", headers }, onResponse);
    // A server that refuses early (too large) closes the connection: its answer still arrives.
    req.on("error", reject);
    const pack = create({ gzip: true, cwd: dir, portable: true }, ["."]);
    pack.on("error", (err: unknown) => req.destroy(err instanceof Error ? err : new Error(String(err))));
    pack.pipe(req);
  }).catch((err: Error) => ({ status: 0, text: err.message }));
  if (answer.status === 201) {
    const stored = JSON.parse(answer.text) as { name: string; bytes: number };
    process.stdout.write(`uploaded ${stored.name} (${stored.bytes} bytes)\n`);
    return 0;
  }
  let detail = answer.text;
  try {
    detail = (JSON.parse(answer.text) as { detail?: string }).detail ?? answer.text;
  } catch {
    // not a problem document: keep the text
  }
  return fail(answer.status === 0 ? `the server could not be reached: ${detail}` : `the server answered ${answer.status}: ${detail}`);
}
