// One chat turn with the Architect: resolve the turn's references (capturing URLs), make the model call, then
// store the new plan, the references and both messages in one transaction. Until that transaction nothing is
// written (captured files are removed again), so a refused or failed turn leaves the blueprint as it was.
import { promises as fs } from "node:fs";
import path from "node:path";
import { inTransaction } from "../db/pool.ts";
import { newId } from "../domain/ids.ts";
import { notFound, ShipyardError } from "../domain/errors.ts";
import { assertModelKeys } from "../models/keys.ts";
import { noModelError } from "../models/default-model.ts";
import { meteredWorkspaceModel, projectModelSpec } from "../models/workspace-model.ts";
import { getProject } from "../projects/store.ts";
import { architectTurn, type ReferenceImage } from "./architect.ts";
import { captureUrl, referencePaths, removeReferenceFiles, thumbnailOf, writeReferenceFiles } from "./references.ts";
import { blueprintView, filesDir, loadBlueprint, type BlueprintDeps } from "./service.ts";
import type { BlueprintView, ChatInput } from "./schemas.ts";
import { insertMessages, insertReference, listMessages, listReferences, referenceOfWorkspace, updatePlan, type BlueprintRow, type ReferenceRow } from "./store.ts";

/** What a turn answers. */
export interface ChatOutcome {
  reply: string;
  blueprint: BlueprintView;
}

/** The turn's references: rows to insert (captured URLs), rows already stored (uploads), and the images to show. */
interface TurnReferences {
  fresh: ReferenceRow[];
  all: ReferenceRow[];
  images: ReferenceImage[];
}

function assertChattable(bp: BlueprintRow): void {
  if (bp.status === "building") throw new ShipyardError("blueprint_busy", `blueprint ${bp.id} is building; chat again when its build has ended`, 409);
  if (bp.status === "archived") throw new ShipyardError("blueprint_busy", `blueprint ${bp.id} is archived`, 409);
}

async function resolveReferences(deps: BlueprintDeps, workspaceId: string, bp: BlueprintRow, input: ChatInput): Promise<TurnReferences> {
  const refs = input.references ?? [];
  const out: TurnReferences = { fresh: [], all: [], images: [] };
  if (refs.length === 0) return out;
  const dataDir = filesDir(deps);
  // Check everything the user named before capturing anything: a bad id fails fast and writes nothing.
  const uploads = new Map<string, ReferenceRow>();
  for (const r of refs) {
    if (r.type !== "upload") {
      await deps.outbound.check(r.source, "the reference URL");
      continue;
    }
    const row = await referenceOfWorkspace(deps.pool, workspaceId, r.id);
    if (!row || row.blueprint_id !== bp.id) throw notFound("reference", r.id);
    uploads.set(r.id, row);
  }
  try {
    for (const r of refs) {
      if (r.type === "upload") {
        const row = uploads.get(r.id)!;
        out.all.push(row);
        out.images.push({ bytes: await fs.readFile(path.join(dataDir, row.image_path)), mediaType: row.media_type, label: `an uploaded image (${row.media_type})` });
        continue;
      }
      const png = await captureUrl(deps.outbound, r.source);
      const id = newId("ref");
      const paths = referencePaths(bp.id, id, "image/png");
      await writeReferenceFiles(dataDir, paths, png, await thumbnailOf(png, "image/png"));
      const row: ReferenceRow = { id, blueprint_id: bp.id, workspace_id: workspaceId, type: "url", source: r.source, media_type: "image/png", image_path: paths.image, thumbnail_path: paths.thumbnail, bytes: png.length, created_at: new Date() };
      out.fresh.push(row);
      out.all.push(row);
      out.images.push({ bytes: png, mediaType: "image/png", label: "a full-page screenshot (1920x1080 viewport) of a web page the user gave as a URL" });
    }
  } catch (err) {
    await discard(dataDir, out.fresh);
    throw err;
  }
  return out;
}

const discard = (dataDir: string, rows: ReferenceRow[]) => Promise.all(rows.map((r) => removeReferenceFiles(dataDir, { image: r.image_path, thumbnail: r.thumbnail_path })));

/**
 * One Architect turn on a blueprint: `{reply, blueprint}`. Refused before the model is called when the
 * blueprint is building or archived (409), the project has no model (400) or no key for it (422), or a
 * reference is unknown (404) or not allowed (422). A turn that raced another one is refused (409).
 */
export async function chat(deps: BlueprintDeps, workspaceId: string, blueprintId: string, input: ChatInput): Promise<ChatOutcome> {
  const bp = await loadBlueprint(deps.pool, workspaceId, blueprintId);
  assertChattable(bp);
  const project = await getProject(deps.pool, workspaceId, bp.project_id);
  const model = await projectModelSpec(deps.pool, workspaceId, project);
  if (!model) throw noModelError("the project's Architect");
  await assertModelKeys(deps.secrets, workspaceId, [{ model, what: "the project's Architect" }]);
  const refs = await resolveReferences(deps, workspaceId, bp, input);
  try {
    const history = (await listMessages(deps.pool, bp.id)).map((m) => ({ role: m.role, content: m.content }));
    const metered = meteredWorkspaceModel(deps, { workspaceId, operationId: bp.id, projectId: bp.project_id, model });
    const answer = await architectTurn(metered, { featureName: bp.feature_name, template: project.template, plan: bp.plan, history, message: input.message, images: refs.images });
    const blueprint = await inTransaction(deps.pool, async (c) => {
      for (const r of refs.fresh) await insertReference(c, r);
      // A turn on a built blueprint moves the plan past what was built: it is a draft again until the next build.
      const row = await updatePlan(c, bp.id, bp.version, answer.plan, "draft");
      if (!row) throw new ShipyardError("blueprint_changed", `blueprint ${bp.id} changed while the Architect was answering (another turn or a build); send the message again`, 409);
      const view = blueprintView(row, await listReferences(c, bp.id));
      const referenceIds = refs.all.map((r) => r.id);
      await insertMessages(c, bp.id, [
        { role: "user", content: input.message, referenceIds, snapshot: null },
        { role: "architect", content: answer.reply, referenceIds: [], snapshot: view },
      ]);
      return view;
    });
    return { reply: answer.reply, blueprint };
  } catch (err) {
    if (deps.dataDir) await discard(deps.dataDir, refs.fresh);
    throw err;
  }
}
