import { ShipyardError } from "../domain/errors.ts";
import type { OutboundClient } from "../net/outbound-client.ts";
import { repoLocationProblem } from "../net/repo-location.ts";
import type { ProjectInput } from "../jobs/schemas.ts";

/**
 * Throw 422 unless the server's URL policy allows the project's repository (`repo_not_allowed`) and GitHub API
 * (`url_not_allowed`, judged on what its host resolves to). Neither value is repeated back: either may carry
 * a credential.
 */
export async function assertProjectUrls(input: { repo: string; github?: ProjectInput["github"] }, outbound: OutboundClient): Promise<void> {
  const problem = repoLocationProblem(input.repo, outbound.policy);
  if (problem) throw new ShipyardError("repo_not_allowed", `repo is not allowed: ${problem}`, 422);
  if (input.github?.apiUrl) await outbound.check(input.github.apiUrl, "github.apiUrl");
}
