import type { Command } from "commander";
import { CliError } from "./client.ts";
import { client, out, printJson } from "./io.ts";
import { dim, table } from "./render.ts";

const USAGE_HINT = 'pipe it in (printf %s "$KEY" | shipyard secrets set NAME) or pass --value';

/** Read all of stdin as text (the caller has checked that it is not a terminal). */
async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

/**
 * The value to store: `--value`, else stdin. One trailing newline is dropped because `echo "$KEY" |` and a
 * file ending in a newline add one that is not part of the key; anything else is kept as given.
 */
async function secretValue(flag: string | undefined): Promise<string> {
  if (flag !== undefined) return flag;
  // Waiting on an interactive terminal would look like a hang; say what to do instead.
  if (process.stdin.isTTY) throw new CliError(`no value given: ${USAGE_HINT}`);
  const value = (await readStdin()).replace(/\r?\n$/, "");
  if (value === "") throw new CliError(`the value on stdin is empty: ${USAGE_HINT}`);
  return value;
}

/** The environment `--env` names (staging or production), or undefined for an unscoped secret. */
function scope(env: string | undefined): string | undefined {
  if (env !== undefined && env !== "staging" && env !== "production") throw new CliError(`--env expects staging or production, not ${JSON.stringify(env)}`);
  return env;
}

/**
 * Register `secrets list|set|rm`: the workspace's encrypted secrets (model API keys such as ANTHROPIC_API_KEY).
 * Values go to the server only; no command ever prints one.
 */
export function registerSecretCommands(program: Command): void {
  const secrets = program.command("secrets").description("workspace secrets: model API keys and other tokens (values are never shown)");
  secrets
    .command("list")
    .description("list the names of this workspace's secrets")
    .option("--json", "print JSON")
    .action(async (o: { json?: boolean }) => {
      const { secrets: list } = await (await client()).request<{ secrets: { name: string; environment: string | null }[] }>("GET", "/secrets");
      if (o.json) return printJson(list);
      if (list.length === 0) return out(dim('no secrets: add one with `printf %s "$KEY" | shipyard secrets set NAME`'));
      out(table([["NAME", "ENVIRONMENT"].map(dim), ...list.map((s) => [s.name, s.environment ?? dim("all")])]));
    });
  secrets
    .command("set")
    .description("store or replace a secret; the value is read from stdin (keeps it out of shell history) or --value")
    .argument("<name>", "secret name: letters, digits and _, e.g. ANTHROPIC_API_KEY")
    .option("--value <value>", "the value (visible in shell history and `ps`: prefer stdin)")
    .option("--env <environment>", "scope it to deploys to staging or production (it wins there over the unscoped one)")
    .action(async (name: string, o: { value?: string; env?: string }) => {
      const environment = scope(o.env);
      const value = await secretValue(o.value);
      await (await client()).request<null>("PUT", `/secrets/${encodeURIComponent(name)}`, { value, ...(environment ? { environment } : {}) });
      out(`secret ${name} stored${environment ? ` for ${environment}` : ""}`);
    });
  secrets
    .command("rm")
    .description("delete a secret")
    .argument("<name>", "secret name")
    .option("--env <environment>", "the one scoped to staging or production")
    .action(async (name: string, o: { env?: string }) => {
      const environment = scope(o.env);
      await (await client()).request<null>("DELETE", `/secrets/${encodeURIComponent(name)}${environment ? `?environment=${environment}` : ""}`);
      out(`secret ${name} removed${environment ? ` for ${environment}` : ""}`);
    });
}
