import { Command, CommanderError } from "commander";
import { CliError } from "./client.ts";
import { registerRunCommands } from "./runs.ts";
import { registerServerCommands } from "./serve.ts";
import { registerSplitCommands } from "./split.ts";
import { registerAdminCommands } from "./admin.ts";
import { registerJobCommands } from "./jobs.ts";
import { registerBuildCommands } from "./builds.ts";
import { registerBlueprintCommands } from "./blueprints.ts";
import { registerPublishCommands } from "./publishes.ts";
import { registerDeploymentCommands } from "./deployments.ts";
import { registerUsageCommands } from "./usage.ts";
import { registerSecretCommands } from "./secrets.ts";
import { registerTokenCommands } from "./tokens.ts";
import { registerPreviewCommands } from "./previews.ts";
import { registerTemplateCommands } from "./templates.ts";
import { registerWebhookCommands } from "./webhooks.ts";

const program = new Command()
  .name("shipyard")
  .description("Shipyard: durable workflows, runners and live events.\nServer: SHIPYARD_URL + SHIPYARD_TOKEN, or the local .shipyard data dir.")
  .version("0.1.0")
  .showHelpAfterError()
  .exitOverride();

registerServerCommands(program);
registerSplitCommands(program);
registerRunCommands(program);
registerAdminCommands(program);
registerJobCommands(program);
registerBuildCommands(program);
registerBlueprintCommands(program);
registerPublishCommands(program);
registerDeploymentCommands(program);
registerTemplateCommands(program);
registerUsageCommands(program);
registerSecretCommands(program);
registerTokenCommands(program);
registerPreviewCommands(program);
registerWebhookCommands(program);

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) {
    process.exitCode = err.exitCode;
  } else if (err instanceof CliError) {
    process.stderr.write(`shipyard: ${err.message}\n`);
    process.exitCode = err.exitCode;
  } else {
    process.stderr.write(`shipyard: ${(err as Error).message}\n`);
    process.exitCode = 2;
  }
}
