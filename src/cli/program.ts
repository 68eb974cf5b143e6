import { Command } from "commander";
import { registerAdminCommands } from "./admin.ts";
import { registerBlueprintCommands } from "./blueprints.ts";
import { registerBuildCommands } from "./builds.ts";
import { registerCompletionCommand } from "./completion.ts";
import { registerDeploymentCommands } from "./deployments.ts";
import { EXIT_CODES_HELP } from "./exit-codes.ts";
import { registerJobCommands } from "./jobs.ts";
import { registerPreviewCommands } from "./previews.ts";
import { registerPublishCommands } from "./publishes.ts";
import { registerRunCommands } from "./runs.ts";
import { registerSecretCommands } from "./secrets.ts";
import { registerServerCommands } from "./serve.ts";
import { registerSplitCommands } from "./split.ts";
import { registerTemplateCommands } from "./templates.ts";
import { registerTokenCommands } from "./tokens.ts";
import { registerUsageCommands } from "./usage.ts";
import { registerWebhookCommands } from "./webhooks.ts";

/**
 * The whole command tree. Registering is cheap: every action imports what it needs when it runs, so
 * `shipyard --help` loads no server, database or AI SDK code (bench/cli-startup.ts measures it).
 */
export function buildProgram(): Command {
  const program = new Command()
    .name("shipyard")
    .description("Shipyard: durable workflows, runners and live events.\nServer: SHIPYARD_URL + SHIPYARD_TOKEN, or the local .shipyard data dir.")
    .version("0.1.0")
    .showHelpAfterError()
    .addHelpText("after", EXIT_CODES_HELP)
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
  registerCompletionCommand(program);
  return program;
}
