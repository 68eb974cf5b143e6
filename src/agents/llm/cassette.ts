// Cassette files: JSON maps from request fingerprint to a recorded answer. One file holds the calls of one
// model (`model` names the `provider:model` it was recorded from; it is part of every fingerprint), so a
// replay finds the answer without knowing which real model stood behind it.
import { promises as fs } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { CassetteMissError } from "./errors.ts";
import type { NormalizedRequest } from "./fingerprint.ts";
import type { ContentPart, FinishReason, GenerateResult, ModelUsage } from "./spec.ts";

/** Recorded token counts; `inputTokens` includes `cachedInputTokens`. */
export interface CassetteUsage {
  inputTokens: number;
  outputTokens: number;
  cachedInputTokens?: number;
  reasoningTokens?: number;
}

/** A recorded answer. `text` and `object` are shorthands for hand-written entries; `content` wins. */
export interface CassetteResponse {
  content?: unknown[];
  text?: string;
  object?: unknown;
  finishReason: FinishReason["unified"];
  usage: CassetteUsage;
}

/** One recorded call: what was asked (for reviewers; the key is its hash) and what came back. */
export interface CassetteEntry {
  request?: NormalizedRequest;
  response: CassetteResponse;
}

/** A cassette file's contents. */
export interface CassetteFile {
  version: 1;
  model: string;
  entries: Record<string, CassetteEntry>;
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/** The directory cassettes live in: `SHIPYARD_CASSETTES` (relative to the cwd) or `cassettes/` at the repo root. */
export function cassettesDirFrom(env: NodeJS.ProcessEnv = process.env, dir?: string): string {
  const chosen = dir ?? env.SHIPYARD_CASSETTES;
  if (chosen) return path.resolve(chosen);
  return path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../../cassettes");
}

/** The file of cassette `name`; names are plain so a spec can never point outside the directory. */
export function cassettePath(dir: string, name: string): string {
  if (!NAME.test(name)) throw new TypeError(`invalid cassette name ${JSON.stringify(name)}: use letters, digits, '.', '_' and '-'`);
  return path.join(dir, `${name}.json`);
}

/** A cassette name derived from a model spec, e.g. `openai:gpt-4.1` → `openai-gpt-4.1`. */
export function cassetteNameFor(spec: string): string {
  return spec.replace(/[^A-Za-z0-9._-]+/g, "-").replace(/^[^A-Za-z0-9]+/, "");
}

/** Read a cassette file, or null when there is none. */
export async function readCassette(file: string): Promise<CassetteFile | null> {
  const text = await fs.readFile(file, "utf8").catch((err: NodeJS.ErrnoException) => {
    if (err.code === "ENOENT") return null;
    throw err;
  });
  if (text === null) return null;
  const parsed = JSON.parse(text) as Partial<CassetteFile>;
  if (parsed.version !== 1 || typeof parsed.model !== "string" || typeof parsed.entries !== "object" || !parsed.entries) {
    throw new Error(`cassette ${file} is not a version 1 cassette with "model" and "entries"`);
  }
  return parsed as CassetteFile;
}

/** The recorded answer for `fp` in `file`, or CassetteMissError naming both. */
export async function lookup(file: string, fp: string): Promise<CassetteResponse> {
  const cassette = await readCassette(file);
  if (!cassette) throw new CassetteMissError(fp, file, "does not exist");
  const entry = cassette.entries[fp];
  if (!entry) throw new CassetteMissError(fp, file);
  return entry.response;
}

// Writers in this process queue per file, so concurrent recordings never lose each other's entries.
const writeQueues = new Map<string, Promise<unknown>>();

/** Add (or replace) one entry in a cassette file, creating it for `model` when missing. */
export function writeEntry(file: string, model: string, fp: string, entry: CassetteEntry): Promise<void> {
  const previous = writeQueues.get(file) ?? Promise.resolve();
  const next = previous.catch(() => undefined).then(async () => {
    const cassette = (await readCassette(file)) ?? { version: 1 as const, model, entries: {} };
    if (cassette.model !== model) {
      throw new Error(`cassette ${file} was recorded from ${cassette.model}, not ${model}: use another cassette name`);
    }
    cassette.entries[fp] = entry;
    const sorted = Object.fromEntries(Object.entries(cassette.entries).sort(([a], [b]) => (a < b ? -1 : 1)));
    await fs.mkdir(path.dirname(file), { recursive: true });
    // Write then rename: a reader never sees half a file.
    const tmp = `${file}.${process.pid}.tmp`;
    await fs.writeFile(tmp, JSON.stringify({ version: 1, model: cassette.model, entries: sorted }, null, 2) + "\n");
    await fs.rename(tmp, file);
  });
  writeQueues.set(file, next);
  return next;
}

/** The content parts of a recorded answer. */
export function contentOf(response: CassetteResponse): ContentPart[] {
  if (response.content) return response.content as ContentPart[];
  if (response.object !== undefined) return [{ type: "text", text: JSON.stringify(response.object) }];
  return [{ type: "text", text: response.text ?? "" }];
}

/** A v3 usage from recorded counts. */
export function usageOf(u: CassetteUsage): ModelUsage {
  const cached = u.cachedInputTokens ?? 0;
  return {
    inputTokens: { total: u.inputTokens, noCache: u.inputTokens - cached, cacheRead: cached, cacheWrite: undefined },
    outputTokens: { total: u.outputTokens, text: undefined, reasoning: u.reasoningTokens },
  };
}

/** A generate result replaying a recorded answer. */
export function resultOf(response: CassetteResponse, modelId: string): GenerateResult {
  return {
    content: contentOf(response),
    finishReason: { unified: response.finishReason, raw: undefined },
    usage: usageOf(response.usage),
    warnings: [],
    response: { modelId },
  };
}

/** What to store for a model's answer: JSON-safe content (bytes as base64), finish reason and token counts. */
export function responseOf(content: ContentPart[], finishReason: FinishReason, usage: ModelUsage): CassetteResponse {
  const safe = content.map((part) =>
    part.type === "file" && part.data instanceof Uint8Array ? { ...part, data: Buffer.from(part.data).toString("base64") } : part,
  );
  const recorded: CassetteUsage = {
    inputTokens: usage.inputTokens.total ?? 0,
    outputTokens: usage.outputTokens.total ?? 0,
  };
  if (usage.inputTokens.cacheRead) recorded.cachedInputTokens = usage.inputTokens.cacheRead;
  if (usage.outputTokens.reasoning) recorded.reasoningTokens = usage.outputTokens.reasoning;
  return { content: JSON.parse(JSON.stringify(safe)) as unknown[], finishReason: finishReason.unified, usage: recorded };
}
