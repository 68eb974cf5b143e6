import { useMutation } from "@tanstack/react-query";
import { useState, type ClipboardEvent, type DragEvent } from "react";
import { api, upload } from "../../api/client.ts";
import type { Blueprint, BlueprintWithMessages, Reference, ReferenceInput } from "../../api/types.ts";
import { ErrorNote } from "../../components/Status.tsx";

/** A reference waiting to go with the next message: a URL (captured by the turn) or an image uploaded already. */
type Attachment = { type: "url"; source: string } | { type: "upload"; reference: Reference };

const IMAGE_TYPES = new Set(["image/png", "image/jpeg", "image/webp"]);
const thumbnailUrl = (id: string) => `/api/v1/references/${encodeURIComponent(id)}/thumbnail`;

/** The images among dropped or pasted files (the server judges them again by their bytes). */
function imagesOf(files: FileList | null | undefined): File[] {
  return [...(files ?? [])].filter((f) => IMAGE_TYPES.has(f.type));
}

/** Start the project's first blueprint: the Architect needs a feature to plan. */
function StartBlueprint({ projectId, onStarted }: { projectId: string; onStarted: () => void }) {
  const [name, setName] = useState("");
  const start = useMutation({
    mutationFn: () => api<Blueprint>("POST", `/projects/${encodeURIComponent(projectId)}/blueprints`, { featureName: name }),
    onSuccess: onStarted,
  });
  return (
    <form onSubmit={(e) => { e.preventDefault(); start.mutate(); }}>
      <p className="hint">Plan a feature with the Architect: name it, then describe it.</p>
      <label htmlFor="feature-name">Feature name</label>
      <input id="feature-name" value={name} onChange={(e) => setName(e.target.value)} required />
      <button type="submit" disabled={start.isPending}>Start blueprint</button>
      <ErrorNote error={start.error} />
    </form>
  );
}

/**
 * The Architect conversation of the current blueprint: its messages, a message box that takes references by
 * URL and images by drag-and-drop or paste (uploaded at once, sent with the next message), the turn's pending
 * state and its error.
 */
export function ChatPane({ projectId, blueprint, onChanged }: { projectId: string; blueprint: BlueprintWithMessages | null; onChanged: () => void }) {
  const [message, setMessage] = useState("");
  const [url, setUrl] = useState("");
  const [attachments, setAttachments] = useState<Attachment[]>([]);
  const id = blueprint ? encodeURIComponent(blueprint.id) : "";
  const attach = useMutation({
    mutationFn: (file: File) => upload<Reference>(`/blueprints/${id}/references?name=${encodeURIComponent(file.name || "pasted image")}`, file),
    onSuccess: (reference) => {
      setAttachments((a) => [...a, { type: "upload", reference }]);
      onChanged();
    },
  });
  const send = useMutation({
    mutationFn: (turn: { message: string; references: ReferenceInput[] }) =>
      api<{ reply: string; blueprint: Blueprint }>("POST", `/blueprints/${id}/chat`, turn.references.length ? turn : { message: turn.message }),
    onSuccess: () => {
      setMessage("");
      setAttachments([]);
      onChanged();
    },
  });
  if (!blueprint) return <StartBlueprint projectId={projectId} onStarted={onChanged} />;

  const addImages = (files: File[]) => files.forEach((f) => attach.mutate(f));
  const onDrop = (e: DragEvent) => {
    const files = imagesOf(e.dataTransfer.files);
    if (files.length === 0) return;
    e.preventDefault();
    addImages(files);
  };
  const onPaste = (e: ClipboardEvent) => {
    const files = imagesOf(e.clipboardData.files);
    if (files.length === 0) return;
    e.preventDefault();
    addImages(files);
  };
  const submit = () => {
    if (!message.trim() || send.isPending) return;
    const references = attachments.map((a): ReferenceInput => (a.type === "url" ? a : { type: "upload", id: a.reference.id }));
    send.mutate({ message, references });
  };
  const busy = blueprint.status === "building" || blueprint.status === "archived";
  return (
    <>
      <p className="hint">Blueprint: <strong>{blueprint.featureName}</strong> ({blueprint.status})</p>
      {/* Focusable: a keyboard user can scroll a long conversation. */}
      <div role="log" aria-label="Conversation" className="conversation" tabIndex={0}>
        <ol className="plain messages">
          {blueprint.messages.map((m, i) => (
            <li key={i} className={`message ${m.role}`} data-role={m.role}>
              <strong>{m.role === "user" ? "You" : "Architect"}</strong>
              <p>{m.content}</p>
              {m.referenceIds.length > 0 && <span className="hint">{m.referenceIds.length} reference{m.referenceIds.length > 1 ? "s" : ""}</span>}
            </li>
          ))}
          {send.isPending && (
            <li className="message user pending" data-role="user">
              <strong>You</strong>
              <p>{send.variables.message}</p>
            </li>
          )}
        </ol>
        {send.isPending && <p role="status" className="hint">The Architect is answering…</p>}
      </div>
      <ErrorNote error={send.error ?? attach.error} />
      <form className="chat-box" onSubmit={(e) => { e.preventDefault(); submit(); }} onDragOver={(e) => e.preventDefault()} onDrop={onDrop} aria-label="Message the Architect">
        <label htmlFor="chat-message">Message</label>
        <textarea id="chat-message" rows={4} value={message} onChange={(e) => setMessage(e.target.value)} onPaste={onPaste} aria-describedby="chat-drop-hint" disabled={busy} />
        <p id="chat-drop-hint" className="hint">Drop or paste an image here to attach it.</p>
        {attachments.length > 0 && (
          <ul className="plain attachments" aria-label="Attachments">
            {attachments.map((a, i) => (
              <li key={a.type === "url" ? `url-${a.source}` : a.reference.id}>
                {a.type === "upload" ? <img src={thumbnailUrl(a.reference.id)} alt={`attached image ${a.reference.source}`} width={80} height={50} /> : <span>{a.source}</span>}
                <button type="button" onClick={() => setAttachments((all) => all.filter((_, j) => j !== i))} aria-label={`Remove ${a.type === "url" ? a.source : a.reference.source}`}>×</button>
              </li>
            ))}
          </ul>
        )}
        {attach.isPending && <p role="status" className="hint">Uploading the image…</p>}
        <div className="inline">
          <label htmlFor="reference-url">Reference URL</label>
          <input id="reference-url" type="url" value={url} onChange={(e) => setUrl(e.target.value)} placeholder="https://…" />
          <button type="button" disabled={!url.trim()} onClick={() => { setAttachments((a) => [...a, { type: "url", source: url.trim() }]); setUrl(""); }}>Attach URL</button>
        </div>
        <button type="submit" disabled={send.isPending || busy || !message.trim()}>Send</button>
      </form>
    </>
  );
}
