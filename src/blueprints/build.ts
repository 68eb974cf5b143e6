// Building a blueprint: refused with its blockers while it is not ready; otherwise its spec is rendered and
// handed to the build of src/builds (which writes it to docs/specs/<slug>.md, designs, implements, tests,
// commits and deploys), and the blueprint is `building` in the same transaction that stores the build.
import { ShipyardError } from "../domain/errors.ts";
import { startBuild } from "../builds/service.ts";
import { readiness } from "./readiness.ts";
import { getBlueprint, loadBlueprint, type BlueprintDeps } from "./service.ts";
import type { BlueprintView } from "./schemas.ts";
import { renderSpec, specPath } from "./spec.ts";
import { markBuilding } from "./store.ts";

/** What starting a blueprint's build answers. */
export interface BlueprintBuildStarted {
  operationId: string;
  buildId: string;
  blueprint: BlueprintView;
}

/**
 * Start the build of a ready blueprint: 409 `blueprint_not_ready` (with the blockers) while something blocks it,
 * 409 `blueprint_busy` while it is building or archived; the build's own refusals (no template, no model) as
 * startBuild gives them. Nothing is stored when it is refused.
 */
export async function startBlueprintBuild(deps: BlueprintDeps, workspaceId: string, id: string): Promise<BlueprintBuildStarted> {
  const bp = await loadBlueprint(deps.pool, workspaceId, id);
  if (bp.status === "building") throw new ShipyardError("blueprint_busy", `blueprint ${id} is already building (build ${bp.last_build_id})`, 409);
  if (bp.status === "archived") throw new ShipyardError("blueprint_busy", `blueprint ${id} is archived`, 409);
  const ready = readiness(bp.plan);
  if (!ready.readyToBuild) {
    throw new ShipyardError("blueprint_not_ready", `blueprint ${id} is not ready to build: ${ready.blockers.join("; ")}`, 409, { blockers: ready.blockers });
  }
  const spec = renderSpec(bp.feature_name, bp.plan);
  const build = await startBuild(deps, workspaceId, bp.project_id, { prompt: spec }, {
    blueprintId: bp.id,
    specPath: specPath(bp.slug),
    title: `Build ${bp.feature_name} from its blueprint`,
    async beforeCommit(c, buildId) {
      // The plan read above is the one built: a turn that landed meanwhile refuses the build (and stores nothing).
      if (!(await markBuilding(c, bp.id, bp.version, buildId))) throw new ShipyardError("blueprint_changed", `blueprint ${id} changed while its build was being started; build it again`, 409);
    },
  });
  return { operationId: build.operationId, buildId: build.id, blueprint: await getBlueprint(deps.pool, workspaceId, id) };
}
