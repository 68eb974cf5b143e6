// Build artifacts a task uploads from its sandbox (a build's output, as a .tar.gz): stored under
// <dataDir>/artifacts/<taskId>/<name>.tar.gz and extracted for publishing. An archive is the sandbox's work, so it
// is untrusted: its size is capped while it streams in, and extraction refuses any entry that could write
// outside the target directory.
import { createWriteStream, promises as fs } from "node:fs";
import path from "node:path";
import { Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import { list, extract } from "tar";
import { ShipyardError } from "../domain/errors.ts";

/** An artifact's name: short, no path separators, no leading dot. */
export const ARTIFACT_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;

/** Most bytes an archive may expand to, by default (what it holds, not what was uploaded). */
const DEFAULT_MAX_EXTRACTED_BYTES = 1024 * 1024 * 1024;

/** Where an uploaded artifact of a task is. */
export function artifactPath(dataDir: string, taskId: string, name: string): string {
  if (!ARTIFACT_NAME.test(name)) throw new ShipyardError("invalid_request", `artifact name ${JSON.stringify(name)}: letters, digits, '.', '_' and '-' only`, 400);
  if (taskId === "" || taskId === "." || taskId === ".." || /[/\\\0]/.test(taskId)) throw new ShipyardError("invalid_request", "not a task id", 400);
  return path.join(dataDir, "artifacts", taskId, `${name}.tar.gz`);
}

/**
 * Stream `body` to the task's artifact `name` (a repeat replaces it, atomically): 413 past `maxBytes`, 400 when it
 * is not gzip. Nothing is left behind by a refused upload.
 */
export async function storeArtifact(
  o: { dataDir: string; taskId: string; name: string; maxBytes: number },
  body: AsyncIterable<Uint8Array> | NodeJS.ReadableStream,
): Promise<{ path: string; bytes: number }> {
  const target = artifactPath(o.dataDir, o.taskId, o.name);
  await fs.mkdir(path.dirname(target), { recursive: true });
  const partial = `${target}.${process.pid}.${Date.now()}.partial`;
  let bytes = 0;
  let head = Buffer.alloc(0);
  const counter = new Transform({
    transform(chunk: Buffer, _enc, done) {
      bytes += chunk.length;
      if (bytes > o.maxBytes) return done(new ShipyardError("payload_too_large", `artifact is larger than ${o.maxBytes} bytes`, 413));
      if (head.length < 2) head = Buffer.concat([head, chunk.subarray(0, 2)]);
      done(null, chunk);
    },
  });
  try {
    await pipeline(body, counter, createWriteStream(partial));
    if (head[0] !== 0x1f || head[1] !== 0x8b) throw new ShipyardError("invalid_artifact", "an artifact is a .tar.gz: this body is not gzip", 400);
    await fs.rename(partial, target);
    return { path: target, bytes };
  } finally {
    await fs.rm(partial, { force: true });
  }
}

/** Why an entry may not be extracted into `destDir`, or null when it may. */
function entryProblem(destDir: string, entry: { path: string; type: string; linkpath?: string }): string | null {
  const p = entry.path;
  if (path.isAbsolute(p) || /^[A-Za-z]:/.test(p)) return `${p}: an absolute path`;
  if (p.split(/[/\\]/).includes("..")) return `${p}: a path with ..`;
  const at = path.resolve(destDir, p);
  if (at !== destDir && !at.startsWith(`${destDir}${path.sep}`)) return `${p}: outside the archive's directory`;
  if (entry.type === "SymbolicLink" || entry.type === "Link") {
    const link = entry.linkpath ?? "";
    const base = entry.type === "Link" ? destDir : path.dirname(at);
    const to = path.resolve(base, link);
    if (path.isAbsolute(link) || (to !== destDir && !to.startsWith(`${destDir}${path.sep}`))) return `${p}: a link out of the archive (${link})`;
    return null;
  }
  if (entry.type !== "File" && entry.type !== "OldFile" && entry.type !== "ContiguousFile" && entry.type !== "Directory") return `${p}: a ${entry.type} entry`;
  return null;
}

/**
 * Extract a .tar.gz into `destDir` (created), refusing the whole archive when any entry has an absolute path, a
 * `..`, is a link leading out, is a device or FIFO, or when it expands past `maxBytes` (1 GiB by default).
 */
export async function extractArtifact(tarGzPath: string, destDir: string, opts: { maxBytes?: number } = {}): Promise<void> {
  const dest = path.resolve(destDir);
  const max = opts.maxBytes ?? DEFAULT_MAX_EXTRACTED_BYTES;
  const problems: string[] = [];
  let total = 0;
  await list({
    file: tarGzPath,
    strict: true,
    onReadEntry: (entry) => {
      total += entry.size;
      const problem = entryProblem(dest, entry);
      if (problem) problems.push(problem);
    },
  }).catch((err: Error) => {
    throw new ShipyardError("invalid_artifact", `the artifact is not a readable .tar.gz: ${err.message}`, 422, undefined, { cause: err });
  });
  if (problems.length > 0) throw new ShipyardError("invalid_artifact", `the artifact was refused: ${problems.slice(0, 5).join("; ")}`, 422, { problems });
  if (total > max) throw new ShipyardError("invalid_artifact", `the artifact expands to ${total} bytes, more than ${max}`, 422);
  await fs.mkdir(dest, { recursive: true });
  // Checked again while extracting: the archive on disk is the one just listed, but a second look costs nothing.
  await extract({ file: tarGzPath, cwd: dest, strict: true, preservePaths: false, preserveOwner: false, filter: (p, entry) => !("type" in entry) || entryProblem(dest, { path: p, type: String(entry.type), linkpath: (entry as { linkpath?: string }).linkpath }) === null });
}
