#!/usr/bin/env node
// Runs on the runner in a deployment's clone: prints what detectApp finds there (src/deployments/generators/) as
// one line of JSON. Loads the TypeScript through tsx, like the agents' entries do.
import { register } from "tsx/esm/api";

register();
const { detectApp } = await import("./generators/index.ts");
process.stdout.write(JSON.stringify(await detectApp(process.argv[2] ?? ".")));
