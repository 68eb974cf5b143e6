// Creating projects: from a repository the user names, or from a template of the catalogue, whose files become
// the first commit of the project's repository (Shipyard's own bare repository under its data dir, or the
// remote the user names).
import { promises as fs } from "node:fs";
import path from "node:path";
import type { Pool } from "../db/pool.ts";
import { ShipyardError } from "../domain/errors.ts";
import { newId } from "../domain/ids.ts";
import type { ProjectInput } from "../jobs/schemas.ts";
import type { OutboundClient } from "../net/outbound-client.ts";
import type { SecretStore } from "../secrets/store.ts";
import { createProject, projectExists, projectNameTaken, type ProjectView } from "./store.ts";
import { commitTemplate, createManagedRepo, shareManagedRepo } from "./template-repo.ts";
import type { Template, TemplateCatalogue } from "./templates.ts";
import { assertProjectUrls } from "./urls.ts";

/** What creating projects needs. */
export interface ProjectServiceDeps {
  pool: Pool;
  secrets: SecretStore;
  outbound: OutboundClient;
  /** The templates; without them only projects with a repo can be created. */
  templates?: {
    catalogue: TemplateCatalogue;
    /** Where Shipyard keeps its projects' bare repositories (<data dir>/repos). */
    reposDir: string;
    /** Called once a project made from a template exists (the integrator's hook for its first deploy). */
    afterCreate?: (workspaceId: string, project: ProjectView, template: Template) => Promise<void>;
  };
}

/** The message of a template project's first commit. */
export const templateCommitMessage = (name: string, template: string) => `Create ${name} from the ${template} template`;

/** Create a project: from a template when the input names one, else on the repository it names. */
export async function createProjectFromInput(deps: ProjectServiceDeps, workspaceId: string, input: ProjectInput): Promise<ProjectView> {
  const { template, repo, ...rest } = input;
  if (template !== undefined) return createProjectFromTemplate(deps, workspaceId, { ...rest, repo, template });
  if (repo === undefined) throw new ShipyardError("invalid_request", "repo: give a repo, a template, or both", 400);
  await assertProjectUrls({ repo, github: input.github }, deps.outbound);
  return createProject(deps.pool, deps.secrets, workspaceId, { ...rest, repo });
}

/**
 * Create a project from a template: its files are committed (by "Shipyard") on the default branch of a new bare
 * repository under the data dir, or of the remote `repo` when one is given, and pushed there. A failure leaves no
 * project row and no repository of Shipyard's.
 */
export async function createProjectFromTemplate(
  deps: ProjectServiceDeps,
  workspaceId: string,
  input: Omit<ProjectInput, "template"> & { template: string },
): Promise<ProjectView> {
  const templates = deps.templates;
  const template = templates?.catalogue.get(input.template);
  if (!templates || !template) {
    const known = templates?.catalogue.names() ?? [];
    throw new ShipyardError("invalid_request", `template: no template "${input.template}"; the templates are: ${known.join(", ") || "(none)"}`, 400);
  }
  const { template: _name, repo: remote, ...rest } = input;
  if (remote !== undefined) {
    await assertProjectUrls({ repo: remote, github: input.github }, deps.outbound);
    // The server itself pushes there: an http(s) remote must also resolve to an address the policy allows.
    if (/^https?:\/\//i.test(remote)) await deps.outbound.check(remote, "repo");
  }
  // Checked before any git work; the insert below still decides a race.
  if (await projectNameTaken(deps.pool, workspaceId, input.name)) {
    throw new ShipyardError("project_exists", `a project named "${input.name}" already exists in this workspace`, 409);
  }
  const id = newId("prj");
  await fs.mkdir(templates.reposDir, { recursive: true });
  // The sandbox user of the local runner reaches the repositories through here (traverse only).
  await fs.chmod(templates.reposDir, 0o711);
  const scratch = await fs.mkdtemp(path.join(templates.reposDir, `.new-${id}-`));
  const staged = path.join(scratch, "repo.git");
  const managedDir = path.join(templates.reposDir, `${id}.git`);
  let placed = false;
  let project: ProjectView;
  try {
    if (remote === undefined) await createManagedRepo(staged, input.defaultBranch);
    await commitTemplate(template, {
      work: path.join(scratch, "work"),
      remote: remote ?? staged,
      branch: input.defaultBranch,
      message: templateCommitMessage(input.name, template.manifest.name),
      token: input.credentials,
    });
    if (remote === undefined) await shareManagedRepo(staged);
    project = await createProject(deps.pool, deps.secrets, workspaceId, { ...rest, repo: remote ?? managedDir }, {
      id,
      template: template.manifest.name,
      managedRepo: remote === undefined,
      // The repository takes its final name only with the row: a crash before leaves just the scratch directory.
      beforeCommit: async () => {
        if (remote !== undefined) return;
        await fs.rename(staged, managedDir);
        placed = true;
      },
    });
  } catch (err) {
    // Renamed, then the commit failed: the repository goes with the row that never was.
    // When the database cannot say, the repository stays: it may belong to a project that did commit.
    if (placed && !(await projectExists(deps.pool, workspaceId, id).catch(() => true))) await fs.rm(managedDir, { recursive: true, force: true });
    throw err;
  } finally {
    await fs.rm(scratch, { recursive: true, force: true });
  }
  await templates.afterCreate?.(workspaceId, project, template);
  return project;
}
