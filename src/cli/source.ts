// The server's modules find their migrations, templates and agent entry points next to their own files, so they
// are never bundled into dist/cli: a compiled CLI loads them from the TypeScript sources through tsx. Both this
// file (src/cli/) and the bundle's chunks (dist/cli/) sit two directories below the repository, so one relative
// path serves both.

let tsxReady: Promise<void> | null = null;

/** Make `import()` of a .ts file work: a no-op when the CLI itself runs from the sources (tsx is loaded already). */
function ensureTsx(): Promise<void> {
  if (import.meta.url.endsWith(".ts")) return Promise.resolve();
  tsxReady ??= import("tsx/esm/api").then(({ register }) => void register());
  return tsxReady;
}

/** The long-running commands (`up`, `server`, `worker`, `runner`), from the sources. */
export async function daemons(): Promise<typeof import("./daemons.ts")> {
  await ensureTsx();
  return (await import(new URL("../../src/cli/daemons.ts", import.meta.url).href)) as typeof import("./daemons.ts");
}
