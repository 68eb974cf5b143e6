import { type Command, Option } from "commander";
import { ROLES } from "../tokens/store.ts";
import { client, out, printJson } from "./io.ts";
import { dim, table } from "./render.ts";

interface Token {
  id: string;
  name: string;
  role: string;
  shared: boolean;
  admin: boolean;
  createdAt: string;
  lastUsedAt: string | null;
}

const ROLE_HELP = "viewer: read only; member: also run and cancel; owner: also manage tokens, secrets, settings, budgets, projects; runner: connect as a runner only";

/** Register `tokens create|list|revoke`: the workspace's API tokens and their roles (owner token needed). */
export function registerTokenCommands(program: Command): void {
  const tokens = program.command("tokens").description(`the workspace's API tokens and their roles (${ROLE_HELP})`);
  tokens
    .command("create")
    .description("issue a token; prints its secret once")
    .argument("<name>", "what the token is for, e.g. ci or build-runner-1")
    .addOption(new Option("--role <role>", "what the token may do").choices([...ROLES]).makeOptionMandatory())
    .option("--shared", "admin only, with --role runner: a runner token of the shared pool (its runners serve every workspace)")
    .option("--json", "print JSON")
    .action(async (name: string, o: { role: string; shared?: boolean; json?: boolean }) => {
      const created = await (await client()).request<Token & { token: string }>("POST", "/tokens", { name, role: o.role, ...(o.shared ? { shared: true } : {}) });
      if (o.json) return printJson(created);
      out(`token ${created.name} (${created.id}), role ${created.role}${created.shared ? ", shared pool" : ""}`);
      out(`token: ${created.token}`);
      out(dim("store it now: it is not shown again"));
    });
  tokens
    .command("list")
    .description("list the workspace's tokens: names, roles, when created and last used (never the secrets)")
    .option("--json", "print JSON")
    .action(async (o: { json?: boolean }) => {
      const { tokens: list } = await (await client()).request<{ tokens: Token[] }>("GET", "/tokens");
      if (o.json) return printJson(list);
      out(
        table([
          ["ID", "NAME", "ROLE", "CREATED", "LAST USED"].map(dim),
          ...list.map((t) => [t.id, t.name, `${t.role}${t.admin ? " (admin)" : ""}${t.shared ? " (shared)" : ""}`, t.createdAt, t.lastUsedAt ?? dim("never")]),
        ]),
      );
    });
  tokens
    .command("revoke")
    .description("revoke a token at once: its requests fail and its open streams and runner connections close")
    .argument("<id>", "token id (from `shipyard tokens list`)")
    .action(async (id: string) => {
      await (await client()).request<null>("DELETE", `/tokens/${encodeURIComponent(id)}`);
      out(`token ${id} revoked`);
    });
}
