// The blueprint of seed 004 as zod schemas: what the Architect may answer (ArchitectReply), what is stored
// (Plan) and what the API shows (BlueprintView). The reply has no field for code: the Architect plans, it
// never implements.
import { z } from "zod";

/** How far a section of the plan is worked out. */
export const SectionStatus = z.enum(["empty", "partial", "complete"]);
export type SectionStatus = z.infer<typeof SectionStatus>;

const name = z.string().trim().min(1).max(120);
const text = z.string().max(2000);

const Field = z.object({ name, type: z.string().trim().min(1).max(120), description: text });
const Entity = z.object({ name, description: text, fields: z.array(Field).max(60) });
const Endpoint = z.object({ method: z.enum(["GET", "POST", "PUT", "PATCH", "DELETE"]), path: z.string().trim().min(1).max(300), description: text });
const Component = z.object({ name, purpose: text });
const Color = z.object({ name, value: z.string().trim().min(1).max(60) });
const Typography = z.object({ name, fontFamily: z.string().max(200), size: z.string().max(40), weight: z.string().max(40) });
const Dependency = z.object({ name, purpose: text });

/** The five sections, each with its status. */
export const Sections = z.object({
  dataModel: z.object({ status: SectionStatus, entities: z.array(Entity).max(40) }),
  apiEndpoints: z.object({ status: SectionStatus, endpoints: z.array(Endpoint).max(80) }),
  uiComponents: z.object({ status: SectionStatus, components: z.array(Component).max(60) }),
  designSystem: z.object({
    status: SectionStatus,
    colors: z.array(Color).max(30),
    typography: z.array(Typography).max(20),
    /** The spacing scale in px. */
    spacing: z.array(z.number().min(0).max(400)).max(20),
    borderRadius: z.string().max(60),
    inspirationNotes: z.string().max(4000),
  }),
  dependencies: z.object({ status: SectionStatus, items: z.array(Dependency).max(40) }),
});
export type Sections = z.infer<typeof Sections>;

/** A question the Architect still needs answered; an open one blocks the build. */
export const OpenQuestion = z.object({ id: z.string().trim().min(1).max(40), question: z.string().trim().min(1).max(1000) });
export type OpenQuestion = z.infer<typeof OpenQuestion>;

/** The part of a blueprint the Architect writes: the whole plan, rewritten every turn. */
export const Plan = z.object({
  summary: z.string().max(2000),
  sections: Sections,
  openQuestions: z.array(OpenQuestion).max(20),
  assumptions: z.array(z.string().trim().min(1).max(1000)).max(40),
});
export type Plan = z.infer<typeof Plan>;

/** The Architect's structured answer to one chat turn. */
export const ArchitectReply = z.object({
  /** What the Architect says to the user (plain prose and questions, no code). */
  reply: z.string().trim().min(1).max(8000),
  plan: Plan,
});
export type ArchitectReply = z.infer<typeof ArchitectReply>;

/** The plan of a new blueprint: every section empty. */
export function emptyPlan(): Plan {
  return {
    summary: "",
    sections: {
      dataModel: { status: "empty", entities: [] },
      apiEndpoints: { status: "empty", endpoints: [] },
      uiComponents: { status: "empty", components: [] },
      designSystem: { status: "empty", colors: [], typography: [], spacing: [], borderRadius: "", inspirationNotes: "" },
      dependencies: { status: "empty", items: [] },
    },
    openQuestions: [],
    assumptions: [],
  };
}

/** A blueprint's lifecycle. */
export const BlueprintStatus = z.enum(["draft", "building", "built", "archived"]);
export type BlueprintStatus = z.infer<typeof BlueprintStatus>;

/** A design reference as the blueprint lists it. */
export const ReferenceView = z.object({
  id: z.string(),
  type: z.enum(["url", "screenshot"]),
  source: z.string(),
  image: z.string(),
  thumbnail: z.string(),
  mediaType: z.string(),
  createdAt: z.string(),
});
export type ReferenceView = z.infer<typeof ReferenceView>;

/** A blueprint as the API shows it. */
export const BlueprintView = z.object({
  id: z.string(),
  projectId: z.string(),
  featureName: z.string(),
  slug: z.string(),
  ...Plan.shape,
  references: z.object({ items: z.array(ReferenceView) }),
  readyToBuild: z.boolean(),
  blockers: z.array(z.string()),
  status: BlueprintStatus,
  specPath: z.string(),
  lastBuildId: z.string().nullable(),
  builtCommit: z.string().nullable(),
  lastError: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type BlueprintView = z.infer<typeof BlueprintView>;

/** One half of a chat turn; the Architect's carries the blueprint as it stood after the turn. */
export const MessageView = z.object({
  role: z.enum(["user", "architect"]),
  content: z.string(),
  referenceIds: z.array(z.string()),
  blueprint: BlueprintView.nullable(),
  createdAt: z.string(),
});
export type MessageView = z.infer<typeof MessageView>;

/** POST /projects/{id}/blueprints. */
export const CreateBlueprintInput = z.object({ featureName: z.string().trim().min(1, "name the feature").max(120, "at most 120 characters") }).strict();

/** A reference given with a chat message: a URL to capture, or one uploaded before (its id). */
export const ReferenceInput = z.discriminatedUnion("type", [
  z.object({ type: z.literal("url"), source: z.string().trim().min(1).max(2000) }).strict(),
  z.object({ type: z.literal("upload"), id: z.string().trim().min(1).max(100) }).strict(),
]);
export type ReferenceInput = z.infer<typeof ReferenceInput>;

/** POST /blueprints/{id}/chat. */
export const ChatInput = z
  .object({
    message: z.string().trim().min(1, "say something").max(8000, "at most 8000 characters"),
    references: z.array(ReferenceInput).max(4, "at most 4 references a turn").optional(),
  })
  .strict();
export type ChatInput = z.infer<typeof ChatInput>;
