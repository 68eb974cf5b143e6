// The test phase's script on the runner: the template's build (its own prepare, build and index.html check),
// its verify commands, then the upload of the output to the server (src/previews/upload-cli.mjs, through the
// sandbox's server socket) for the preview check and the publish.
import { fromShipyardHome } from "../git/scripts.ts";
import { shellQuote } from "../git/shell.ts";
import { templateBuildScript, templateVerifyScript, type TemplateManifest } from "../projects/templates.ts";

/** The upload entry point, relative to SHIPYARD_HOME. */
const UPLOAD_ENTRY = "src/previews/upload-cli.mjs";

/** The name the test phase uploads the built site under. */
export const SITE_ARTIFACT = "site";

/** Build, verify, and upload the output as the artifact `site`. */
export function testScript(m: TemplateManifest): string {
  return `${templateBuildScript(m)}${templateVerifyScript(m)}
# shipyard: upload the built site
upload=${shellQuote(UPLOAD_ENTRY)}
${fromShipyardHome("upload")}
node "$upload" ${shellQuote(m.output)} ${SITE_ARTIFACT}
`;
}
