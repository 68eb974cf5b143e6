import type { Command } from "commander";
import { client, out, printJson } from "./io.ts";
import { dim, table } from "./render.ts";

interface Webhook {
  id: string;
  url: string;
  events: string[];
  description: string | null;
  enabled: boolean;
  disabledReason: string | null;
  secret?: string;
}

interface Delivery {
  id: string;
  type: string;
  status: string;
  round: number;
  error: string | null;
  createdAt: string;
  attempts: { round: number; attempt: number; at: string; durationMs: number; responseStatus: number | null; error: string | null }[];
}

/** Register `webhooks add|list|rm|deliveries|redeliver`: signed webhook endpoints and what was sent to them. */
export function registerWebhookCommands(program: Command): void {
  const webhooks = program.command("webhooks").description("signed webhook endpoints (Standard Webhooks) and their deliveries");
  webhooks
    .command("add")
    .description("add an endpoint; prints its whsec_ signing secret, which is shown only this once")
    .argument("<url>", "where to POST events (https, public addresses unless the operator allows others)")
    .option("--events <types>", "comma-separated event types, or * for all", "*")
    .option("--description <text>", "what it is for")
    .option("--json", "print JSON")
    .action(async (url: string, o: { events: string; description?: string; json?: boolean }) => {
      const events = o.events.split(",").map((e) => e.trim()).filter((e) => e !== "");
      const created = await (await client()).request<Webhook>("POST", "/webhooks", { url, events, ...(o.description ? { description: o.description } : {}) });
      if (o.json) return printJson(created);
      out(`webhook ${created.id} → ${created.url} (${created.events.join(", ")})`);
      out(`signing secret (shown once, store it now): ${created.secret}`);
    });
  webhooks
    .command("list")
    .description("list this workspace's endpoints")
    .option("--json", "print JSON")
    .action(async (o: { json?: boolean }) => {
      const { webhooks: list } = await (await client()).request<{ webhooks: Webhook[] }>("GET", "/webhooks");
      if (o.json) return printJson(list);
      if (list.length === 0) return out(dim("no webhooks: add one with `shipyard webhooks add URL --events run.completed`"));
      out(table([["ID", "URL", "EVENTS", "STATE"].map(dim), ...list.map((w) => [w.id, w.url, w.events.join(","), w.enabled ? "enabled" : `disabled: ${w.disabledReason ?? ""}`])]));
    });
  webhooks
    .command("rm")
    .description("delete an endpoint and its deliveries")
    .argument("<id>", "webhook id")
    .action(async (id: string) => {
      await (await client()).request<null>("DELETE", `/webhooks/${encodeURIComponent(id)}`);
      out(`webhook ${id} removed`);
    });
  webhooks
    .command("deliveries")
    .description("an endpoint's newest deliveries and their attempts")
    .argument("<id>", "webhook id")
    .option("--limit <n>", "how many", "20")
    .option("--json", "print JSON")
    .action(async (id: string, o: { limit: string; json?: boolean }) => {
      const { deliveries } = await (await client()).request<{ deliveries: Delivery[] }>("GET", `/webhooks/${encodeURIComponent(id)}/deliveries?limit=${encodeURIComponent(o.limit)}`);
      if (o.json) return printJson(deliveries);
      if (deliveries.length === 0) return out(dim("no deliveries yet"));
      const rows = deliveries.map((d) => {
        const last = d.attempts.at(-1);
        const lastText = last ? `${last.responseStatus ?? last.error ?? ""} in ${last.durationMs} ms` : "";
        return [d.id, d.type, d.status, String(d.attempts.length), lastText, d.error ?? ""];
      });
      out(table([["WEBHOOK-ID", "EVENT", "STATUS", "ATTEMPTS", "LAST", "ERROR"].map(dim), ...rows]));
    });
  webhooks
    .command("redeliver")
    .description("send a settled delivery again (same webhook-id, fresh attempts)")
    .argument("<delivery>", "delivery id (msg_...)")
    .action(async (id: string) => {
      const r = await (await client()).request<{ id: string; round: number }>("POST", `/deliveries/${encodeURIComponent(id)}/redeliver`);
      out(`delivery ${r.id} redelivering (round ${r.round})`);
    });
}
