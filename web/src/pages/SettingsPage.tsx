import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { api, get } from "../api/client.ts";
import { when } from "../api/hooks.ts";
import type { Delivery, Secret, Settings, Token, Webhook } from "../api/types.ts";
import { ErrorNote, Status } from "../components/Status.tsx";

/** /settings: the default model, tokens with their roles, secrets by name, webhooks with their deliveries. */
export function SettingsPage() {
  return (
    <section aria-labelledby="settings-title">
      <h1 id="settings-title">Settings</h1>
      <DefaultModel />
      <Tokens />
      <Secrets />
      <Webhooks />
    </section>
  );
}

function DefaultModel() {
  const qc = useQueryClient();
  const settings = useQuery({ queryKey: ["settings"], queryFn: () => get<Settings>("/settings") });
  const [model, setModel] = useState<string | null>(null);
  const save = useMutation({ mutationFn: (m: string) => api<Settings>("PUT", "/settings", { defaultModel: m || null }), onSuccess: (s) => qc.setQueryData(["settings"], s) });
  return (
    <form className="inline" onSubmit={(e) => { e.preventDefault(); save.mutate(model ?? settings.data?.defaultModel ?? ""); }}>
      <h2>Default model</h2>
      <label htmlFor="model">provider:model</label>
      <input id="model" value={model ?? settings.data?.defaultModel ?? ""} onChange={(e) => setModel(e.target.value)} placeholder="anthropic:claude-sonnet-4-5" />
      <button type="submit">Save</button>
      <ErrorNote error={settings.error ?? save.error} />
    </form>
  );
}

function Tokens() {
  const qc = useQueryClient();
  const tokens = useQuery({ queryKey: ["tokens"], queryFn: () => get<{ tokens: Token[] }>("/tokens") });
  const [name, setName] = useState("");
  const [role, setRole] = useState<Token["role"]>("member");
  const refresh = () => void qc.invalidateQueries({ queryKey: ["tokens"] });
  const create = useMutation({ mutationFn: () => api<Token & { token: string }>("POST", "/tokens", { name, role }), onSuccess: refresh });
  const revoke = useMutation({ mutationFn: (id: string) => api<void>("DELETE", `/tokens/${id}`), onSuccess: refresh });
  return (
    <div>
      <h2>Tokens</h2>
      <ErrorNote error={tokens.error ?? create.error ?? revoke.error} />
      <table className="table">
        <thead><tr><th scope="col">Name</th><th scope="col">Role</th><th scope="col">Last used</th><th scope="col"><span className="sr-only">Actions</span></th></tr></thead>
        <tbody>
          {tokens.data?.tokens.map((t) => (
            <tr key={t.id}>
              <td>{t.name}</td>
              <td>{t.admin ? "admin" : t.role}{t.shared ? " (shared)" : ""}</td>
              <td>{when(t.lastUsedAt) || "never"}</td>
              <td>{!t.admin && <button type="button" onClick={() => revoke.mutate(t.id)}>Revoke</button>}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {create.data && <p role="status" className="ok">New token (shown once): <code>{create.data.token}</code></p>}
      <form className="inline" onSubmit={(e) => { e.preventDefault(); create.mutate(); }}>
        <label htmlFor="tok-name">Name</label>
        <input id="tok-name" value={name} onChange={(e) => setName(e.target.value)} required />
        <label htmlFor="tok-role">Role</label>
        <select id="tok-role" value={role} onChange={(e) => setRole(e.target.value as Token["role"])}>
          {(["viewer", "member", "owner", "runner"] as const).map((r) => <option key={r}>{r}</option>)}
        </select>
        <button type="submit">Create token</button>
      </form>
    </div>
  );
}

function Secrets() {
  const qc = useQueryClient();
  const secrets = useQuery({ queryKey: ["secrets"], queryFn: () => get<{ secrets: Secret[] }>("/secrets") });
  const [name, setName] = useState("");
  const [value, setValue] = useState("");
  const refresh = () => void qc.invalidateQueries({ queryKey: ["secrets"] });
  const put = useMutation({ mutationFn: () => api("PUT", `/secrets/${encodeURIComponent(name)}`, { value }), onSuccess: () => { setValue(""); refresh(); } });
  const remove = useMutation({ mutationFn: (n: string) => api<void>("DELETE", `/secrets/${encodeURIComponent(n)}`), onSuccess: refresh });
  return (
    <div>
      <h2>Secrets</h2>
      <ErrorNote error={secrets.error ?? put.error ?? remove.error} />
      <ul className="plain">
        {secrets.data?.secrets.map((s) => (
          <li key={`${s.name}-${s.environment ?? ""}`}>
            <code>{s.name}</code> {s.environment ? `(${s.environment})` : ""}{" "}
            {!s.environment && <button type="button" onClick={() => remove.mutate(s.name)}>Delete <span className="sr-only">{s.name}</span></button>}
          </li>
        ))}
      </ul>
      <form className="inline" onSubmit={(e) => { e.preventDefault(); put.mutate(); }}>
        <label htmlFor="sec-name">Name</label>
        <input id="sec-name" value={name} onChange={(e) => setName(e.target.value)} required />
        <label htmlFor="sec-value">Value</label>
        <input id="sec-value" type="password" autoComplete="off" value={value} onChange={(e) => setValue(e.target.value)} required />
        <button type="submit">Set secret</button>
      </form>
    </div>
  );
}

function Webhooks() {
  const webhooks = useQuery({ queryKey: ["webhooks"], queryFn: () => get<{ webhooks: Webhook[] }>("/webhooks") });
  return (
    <div>
      <h2>Webhooks</h2>
      <ErrorNote error={webhooks.error} />
      {webhooks.data?.webhooks.length === 0 && <p className="hint">No endpoints (add one with <code>shipyard webhooks add</code>).</p>}
      {webhooks.data?.webhooks.map((w) => <WebhookDeliveries key={w.id} webhook={w} />)}
    </div>
  );
}

function WebhookDeliveries({ webhook }: { webhook: Webhook }) {
  const qc = useQueryClient();
  const deliveries = useQuery({ queryKey: ["deliveries", webhook.id], queryFn: () => get<{ deliveries: Delivery[] }>(`/webhooks/${webhook.id}/deliveries`) });
  const redeliver = useMutation({ mutationFn: (id: string) => api("POST", `/deliveries/${id}/redeliver`), onSuccess: () => void qc.invalidateQueries({ queryKey: ["deliveries", webhook.id] }) });
  return (
    <details className="card">
      <summary>
        {webhook.url} {webhook.enabled ? "" : "(disabled)"} · {webhook.events.join(", ")}
      </summary>
      <ErrorNote error={deliveries.error ?? redeliver.error} />
      <ul className="plain">
        {deliveries.data?.deliveries.map((d) => (
          <li key={d.id}>
            {d.type} <Status status={d.status} /> {when(d.updatedAt)} · {d.attempts.length} attempts{" "}
            <button type="button" onClick={() => redeliver.mutate(d.id)} disabled={d.status === "pending"}>Redeliver</button>
          </li>
        ))}
      </ul>
    </details>
  );
}
