// The Architect: one structured-output model call per chat turn. It gets the plan as it stands, the
// conversation so far and the user's message (with any reference images as image parts) and answers with a
// reply and the whole updated plan, checked against ArchitectReply. A reply that does not fit is sent back
// once with what was wrong; a second miss is an error and nothing is stored.
import { generateText, NoObjectGeneratedError, Output, type ModelMessage } from "ai";
import type { ModelV3 } from "../agents/llm/index.ts";
import { ensureError, ShipyardError } from "../domain/errors.ts";
import { ArchitectReply, type Plan } from "./schemas.ts";

/** The Architect's standing instructions (seed 004's behaviour rules). */
export const ARCHITECT_SYSTEM = [
  "You are the Architect of Shipyard. Your job is requirements engineering: you shape a feature's blueprint with the user.",
  "Answer with one JSON object: `reply` (what you say to the user) and `plan` (the whole blueprint after this turn).",
  "Rules:",
  "1. Start from the current plan given below; keep what the user has not changed.",
  "2. Update it from the user's message: summary, sections (dataModel, apiEndpoints, uiComponents, designSystem, dependencies) and assumptions.",
  "3. Where there are gaps, ask one or two clarifying questions in the reply and list each in openQuestions (id q1, q2, ...); drop a question from openQuestions once it is answered.",
  "4. Give each section the status empty, partial or complete honestly. When nothing is open, say the plan looks complete and suggest building it.",
  "5. Never write implementation code: no code blocks, no source files, in the reply or the plan. Describe; do not implement.",
  "Design references: when images are attached, describe what you observe (layout, hierarchy, palette, light or dark theme, component patterns,",
  "typography and spacing), ask whether to match them exactly or use them as inspiration, and fill sections.designSystem (colors, typography,",
  "spacing in px, borderRadius) and its inspirationNotes (which element came from which reference, what was adapted). Say how confident you are.",
].join("\n");

/** How many earlier messages (user and Architect) a turn sends with the plan: the last six turns. */
export const HISTORY_MESSAGES = 12;

/** One earlier message of the conversation. */
export interface HistoryMessage {
  role: "user" | "architect";
  content: string;
}

/** A reference image shown to the model with the current message. */
export interface ReferenceImage {
  bytes: Uint8Array;
  mediaType: string;
  /** What it is, for the prompt (no ids or local addresses: the prompt must not change between runs). */
  label: string;
}

/** What one turn is made of. */
export interface TurnInput {
  featureName: string;
  template: string | null;
  plan: Plan;
  history: HistoryMessage[];
  message: string;
  images: ReferenceImage[];
}

/** The user's half of the turn as the model sees it: the plan, the references and the message. */
export function turnPrompt(input: TurnInput): string {
  return [
    `Feature: ${input.featureName}`,
    input.template ? `The project was created from Shipyard's "${input.template}" template.` : "The project is an existing repository.",
    "",
    "The current plan (JSON):",
    JSON.stringify(input.plan),
    "",
    ...(input.images.length ? ["References attached to this message, in order:", ...input.images.map((img, i) => `${i + 1}. ${img.label}`), ""] : []),
    "The user says:",
    input.message,
  ].join("\n");
}

type Attempt = { ok: true; reply: ArchitectReply } | { ok: false; problem: string; text: string };

/** Why a parsed reply is still not acceptable, or null. */
function replyProblem(reply: ArchitectReply): string | null {
  if (reply.reply.includes("```")) return "the reply contains a code block, and the Architect never writes implementation code";
  const ids = reply.plan.openQuestions.map((q) => q.id);
  if (new Set(ids).size !== ids.length) return "two open questions share an id";
  return null;
}

async function attempt(model: ModelV3, messages: ModelMessage[]): Promise<Attempt> {
  try {
    const result = await generateText({ model, system: ARCHITECT_SYSTEM, messages, output: Output.object({ schema: ArchitectReply }) });
    const reply = ArchitectReply.parse(result.output);
    const problem = replyProblem(reply);
    return problem ? { ok: false, problem, text: result.text } : { ok: true, reply };
  } catch (err) {
    if (NoObjectGeneratedError.isInstance(err)) return { ok: false, problem: ensureError(err.cause ?? err).message.split("\n")[0]!.slice(0, 500), text: err.text ?? "" };
    if (err instanceof ShipyardError) throw err;
    throw new ShipyardError("llm_call_failed", `the Architect's model call failed: ${ensureError(err).message.split("\n")[0]!.slice(0, 300)}`, 502, undefined, { cause: err });
  }
}

/**
 * Run one Architect turn on `model`; throws `architect_invalid_reply` (502) when the answer does not fit the
 * schema twice, and the model layer's errors (budget, key, cassette) as they are.
 */
export async function architectTurn(model: ModelV3, input: TurnInput): Promise<ArchitectReply> {
  // The plan carries everything decided so far, so only the recent turns go along: a long chat costs no more per
  // turn than a short one, and never outgrows the model's context.
  const messages: ModelMessage[] = [
    ...input.history.slice(-HISTORY_MESSAGES).map((m): ModelMessage => (m.role === "user" ? { role: "user", content: m.content } : { role: "assistant", content: m.content })),
    { role: "user", content: [{ type: "text", text: turnPrompt(input) }, ...input.images.map((img) => ({ type: "image" as const, image: img.bytes, mediaType: img.mediaType }))] },
  ];
  const first = await attempt(model, messages);
  if (first.ok) return first.reply;
  // Once more, told what was wrong: a model usually fixes a shape it was shown; a third try rarely helps.
  const again = await attempt(model, [
    ...messages,
    { role: "assistant", content: first.text || "(no answer)" },
    { role: "user", content: `That answer was not valid: ${first.problem}. Answer again with the whole JSON object (reply and plan) and nothing else.` },
  ]);
  if (again.ok) return again.reply;
  throw new ShipyardError("architect_invalid_reply", `the Architect's answer did not fit the blueprint twice (${again.problem}); the blueprint is unchanged: send the message again`, 502);
}
