#!/usr/bin/env node
// Runs on the runner in a deployment's clone: prints what detectApp finds there (src/deployments/generators/) as
// one line of JSON. Loads the TypeScript through tsx, like the agents' entries do.
import { register } from "tsx/esm/api";

register();
const { detectApp } = await import("./generators/index.ts");
// The second argument names the app when nothing in the repository does (the project's name).
process.stdout.write(JSON.stringify(await detectApp(process.argv[2] ?? ".", { name: process.argv[3] || undefined })));
