// What the API takes and shows for publishes, as zod schemas (the routes' OpenAPI is built from them).
import { z } from "zod";
import { RunStatus } from "../domain/statuses.ts";
import { PublishPhase } from "../events/catalogue.ts";
import { ENVIRONMENTS } from "../previews/store.ts";

const EnvironmentName = z.enum(ENVIRONMENTS);

/** POST /projects/{id}/publish: staging → production unless said otherwise. */
export const PublishInput = z
  .object({
    fromEnvironment: EnvironmentName.default("staging"),
    toEnvironment: EnvironmentName.default("production"),
  })
  .strict()
  .refine((p) => p.fromEnvironment !== p.toEnvironment, { message: "fromEnvironment and toEnvironment must differ", path: ["toEnvironment"] });
export type PublishInput = z.infer<typeof PublishInput>;

/** A publish as the API shows it. */
export const PublishView = z.object({
  id: z.string(),
  operationId: z.string(),
  projectId: z.string(),
  fromEnvironment: EnvironmentName,
  toEnvironment: EnvironmentName,
  /** The version the source environment showed when the publish was asked for. */
  version: z.number().int(),
  deployTarget: z.string(),
  status: RunStatus,
  phase: PublishPhase.nullable(),
  /** The target environment's URL once the version is live there. */
  url: z.string().nullable(),
  screenshotUrl: z.string().nullable(),
  error: z.string().nullable(),
  createdAt: z.string(),
  finishedAt: z.string().nullable(),
});
export type PublishView = z.infer<typeof PublishView>;
