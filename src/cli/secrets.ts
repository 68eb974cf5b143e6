import type { Readable, Writable } from "node:stream";
import type { Command } from "commander";
import { CliError } from "./client.ts";
import { client, out, printJson } from "./io.ts";
import { dim, table } from "./render.ts";

const USAGE_HINT = 'type it at the prompt, pipe it in (printf %s "$KEY" | shipyard secrets set NAME) or pass --value';

/** Read all of a piped stdin as text. */
async function readAll(input: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of input) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

/** Where a secret's value comes from when no --value is given: stdin, and the prompt's output on a terminal. */
export interface SecretInput {
  input: Readable & { isTTY?: boolean };
  output: Writable;
}

/**
 * The value to store: `--value`, else a prompt that does not echo on a terminal, else all of a piped stdin. One
 * trailing newline of piped input is dropped because `echo "$KEY" |` and a file ending in a newline add one that
 * is not part of the key; anything else is kept as given.
 */
export async function secretValue(name: string, flag: string | undefined, from: SecretInput = { input: process.stdin, output: process.stderr }): Promise<string> {
  if (flag !== undefined) return flag;
  if (from.input.isTTY) {
    const { read } = await import("read");
    // terminal: readline owns the echo (muted) even when stderr is redirected; otherwise the terminal would echo.
    const value = await read({ prompt: `value of ${name} (not shown):`, silent: true, replace: "", terminal: true, input: from.input, output: from.output });
    if (value === "") throw new CliError(`no value typed: ${USAGE_HINT}`);
    return value;
  }
  const value = (await readAll(from.input)).replace(/\r?\n$/, "");
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
    .description("store or replace a secret; on a terminal it asks for the value without echoing it, else reads stdin (both keep it out of shell history), or --value")
    .argument("<name>", "secret name: letters, digits and _, e.g. ANTHROPIC_API_KEY")
    .option("--value <value>", "the value (visible in shell history and `ps`: prefer stdin)")
    .option("--env <environment>", "scope it to deploys to staging or production (it wins there over the unscoped one)")
    .action(async (name: string, o: { value?: string; env?: string }) => {
      const environment = scope(o.env);
      const value = await secretValue(name, o.value);
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
