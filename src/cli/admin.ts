import type { Command } from "commander";
import { ApiClient, findServer } from "./client.ts";
import { statusWord, table, dim } from "./render.ts";

interface Runner {
  id: string;
  name: string;
  status: string;
  slots: number;
  activeTasks: number;
  shared: boolean;
  sandbox: "bwrap" | "none";
  labels: string[];
  lastSeenAt: string | null;
}

/** Register `workspaces create|list` and `runners`. */
export function registerAdminCommands(program: Command): void {
  const ws = program.command("workspaces").description("manage workspaces (admin token)");
  ws.command("create")
    .description("create a workspace; prints its id and first token")
    .argument("<name>", "workspace name")
    .option("--json", "print JSON")
    .action(async (name: string, o: { json?: boolean }) => {
      const s = await findServer();
      const created = await new ApiClient(s.url, s.token).request<{ id: string; name: string; token: string }>("POST", "/workspaces", { name });
      if (o.json) process.stdout.write(JSON.stringify(created, null, 2) + "\n");
      else process.stdout.write(`workspace ${created.name} (${created.id})\ntoken: ${created.token}\n${dim("store the token now: it is not shown again")}\n`);
    });

  ws.command("list")
    .description("list every workspace of this installation (admin token)")
    .option("--json", "print JSON")
    .action(async (o: { json?: boolean }) => {
      const s = await findServer();
      const { workspaces } = await new ApiClient(s.url, s.token).request<{ workspaces: { id: string; name: string; createdAt: string }[] }>("GET", "/workspaces");
      if (o.json) return void process.stdout.write(JSON.stringify(workspaces, null, 2) + "\n");
      process.stdout.write(table([["ID", "NAME", "CREATED"].map(dim), ...workspaces.map((w) => [w.id, w.name, w.createdAt])]) + "\n");
    });

  program
    .command("runners")
    .description("list runners serving this workspace")
    .option("--json", "print JSON")
    .action(async (o: { json?: boolean }) => {
      const s = await findServer();
      const { runners } = await new ApiClient(s.url, s.token).request<{ runners: Runner[] }>("GET", "/runners");
      if (o.json) return void process.stdout.write(JSON.stringify(runners, null, 2) + "\n");
      if (runners.length === 0) return void process.stdout.write(dim("no runners: start one with `shipyard runner --server URL --token T`") + "\n");
      process.stdout.write(
        table([
          ["NAME", "STATUS", "BUSY", "POOL", "SANDBOX", "LABELS", "LAST SEEN"].map(dim),
          ...runners.map((r) => [
            r.name,
            statusWord(r.status === "online" ? "succeeded" : "failed").replace(/succeeded|failed/, r.status),
            `${r.activeTasks}/${r.slots}`,
            r.shared ? "shared" : "workspace",
            r.sandbox,
            r.labels.join(","),
            r.lastSeenAt ?? "",
          ]),
        ]) + "\n",
      );
    });
}
