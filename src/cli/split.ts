// `shipyard server` and `shipyard worker`: Shipyard split over one shared PostgreSQL (DATABASE_URL), for as many
// of each as the load needs. `shipyard up` stays the all-in-one process.
import type { Command } from "commander";
import { daemons } from "./source.ts";

/** Register `server` and `worker`; their bodies load when they run (./daemons.ts). */
export function registerSplitCommands(program: Command): void {
  program
    .command("server")
    .description("the API, event streams and the runner gateway, without running workflows (needs DATABASE_URL and a `shipyard worker`)")
    .action(async () => (await daemons()).startRole("server"));
  program
    .command("worker")
    .description("run workflows and queues, without HTTP (needs DATABASE_URL; give each worker its own SHIPYARD_EXECUTOR_ID)")
    .action(async () => (await daemons()).startRole("worker"));
}
