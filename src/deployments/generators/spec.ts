// What a generator is: a config schema (the app description plus its own options), a pure renderer, and the
// strongest offline check of what it renders.
import type { z } from "zod";

export const GENERATOR_NAMES = ["docker-compose", "helm", "kubernetes", "terraform"] as const;
export type GeneratorName = (typeof GENERATOR_NAMES)[number];

/** One file a generator writes; `path` is relative to the repository root, POSIX. */
export interface GeneratedFile {
  path: string;
  content: string;
}

/** One thing wrong with generated files: the file, where in it (a JSON pointer when known), and what. */
export interface GeneratedProblem {
  file: string;
  pointer?: string;
  message: string;
}

/** A tool invocation for execute mode, run from the repository root (args never pass through a shell). */
export interface ExecuteCommand {
  command: string;
  args: string[];
}

/** How validate finds the optional binaries (helm, terraform): the PATH to search; process.env.PATH when unset. */
export interface ValidateOptions {
  toolPath?: string;
  /** Bound on each binary's run. */
  timeoutMs?: number;
  /** Told when an installed binary's check could not run for a reason that is not the files' fault (terraform init offline). */
  onSkip?(check: string, reason: string): void;
}

/** A generator of the catalogue. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- each generator narrows its own config; the catalogue holds them all
export interface GeneratorSpec<C extends z.ZodObject = z.ZodObject<any>> {
  name: GeneratorName;
  description: string;
  /** Strict: the app description plus this generator's options. */
  config: C;
  /** z.toJSONSchema(config) (input side: defaults are optional), for editors and GET /generators. */
  configJsonSchema: object;
  /** Pure and deterministic; files sorted by path. */
  render(config: z.infer<C>): GeneratedFile[];
  /** [] when the files are valid. */
  validate(files: GeneratedFile[], options?: ValidateOptions): Promise<GeneratedProblem[]>;
  /** The commands execute mode runs, in order, after the files are written to the checkout. */
  executeCommands?(config: z.infer<C>): ExecuteCommand[];
}

/** Sort files by path (every renderer's last step, so output is byte-for-byte stable). */
export function sortFiles(files: GeneratedFile[]): GeneratedFile[] {
  return [...files].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}
