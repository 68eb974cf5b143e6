// The server side of a job's last stage: which GitHub repository a remote is, and opening its pull request
// exactly once however many times the stage runs.
import { STATUS_CODES } from "node:http";
import { Octokit } from "@octokit/rest";
import { ShipyardError } from "../domain/errors.ts";
import type { OutboundClient } from "../net/outbound-client.ts";

export interface GitHubRepo {
  owner: string;
  repo: string;
}

// Lenient on purpose: Enterprise allows names github.com does not (underscores, say).
const OWNER = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$/;
const REPO = /^[A-Za-z0-9._-]{1,100}$/;

/**
 * The owner and repo of a github.com remote (https, ssh:// or scp-style `git@host:o/r.git`), or of one on a
 * host in `extraHosts` (GitHub Enterprise, a test server; `host` or `host:port`); null for anything else.
 */
export function parseGitHubRemote(url: string, extraHosts: readonly string[] = []): GitHubRepo | null {
  const hosts = new Set(["github.com", ...extraHosts].map((h) => h.toLowerCase()));
  let host: string;
  let hostWithPort: string;
  let path: string;
  const scp = /^[\w.-]+@([^:/]+):(?!\/)(.+)$/.exec(url);
  if (scp) {
    host = hostWithPort = (scp[1] ?? "").toLowerCase();
    path = scp[2] ?? "";
  } else {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      return null;
    }
    if (!["https:", "http:", "ssh:", "git:"].includes(parsed.protocol)) return null;
    host = parsed.hostname.toLowerCase();
    hostWithPort = parsed.host.toLowerCase();
    path = decodeURIComponent(parsed.pathname);
  }
  if (!hosts.has(host) && !hosts.has(hostWithPort)) return null;
  const parts = path.replace(/^\/+/, "").replace(/\/+$/, "").split("/");
  if (parts.length !== 2) return null;
  const owner = parts[0] ?? "";
  const repo = (parts[1] ?? "").replace(/\.git$/, "");
  if (!OWNER.test(owner) || !REPO.test(repo) || repo === "." || repo === "..") return null;
  return { owner, repo };
}

export interface OpenPullRequest extends GitHubRepo {
  /** The REST API root: `https://api.github.com`, `https://HOST/api/v3` for Enterprise. */
  apiUrl: string;
  /**
   * For an apiUrl a user gave (a project's `github.apiUrl`): checked before the calls and at every connection.
   * Null only for the operator's own SHIPYARD_GITHUB_API_URL.
   */
  outbound: OutboundClient | null;
  token: string;
  /** The branch with the changes, in `owner/repo` itself. */
  head: string;
  base: string;
  title: string;
  body: string;
  /** Cancels the requests; each one otherwise gives up after 30 s. */
  signal?: AbortSignal;
}

export interface PullRequestRef {
  url: string;
  number: number;
  /** False when an open pull request for the branch already existed (a re-run). */
  created: boolean;
}

/** GitHub's answer reduced to its status and a fixed reason: a remote's response body never reaches users. */
export class GitHubRequestFailed extends Error {
  constructor(
    message: string,
    /** GitHub's HTTP status; undefined when no answer came. */
    readonly status?: number,
  ) {
    super(message);
    this.name = "GitHubRequestFailed";
  }
}

const HINTS: Record<number, string> = {
  401: "check the project's credentials",
  403: "the token may lack access to the repository, or a rate limit was hit",
  404: "no such repository, or the token cannot see it",
  422: "GitHub refused the pull request (does the base branch exist?)",
};

function withoutBody(err: unknown): Error {
  if (err instanceof ShipyardError) return err;
  const status = statusOf(err);
  if (status !== undefined && typeof err === "object" && err !== null && "response" in err && err.response) {
    const hint = HINTS[status];
    return new GitHubRequestFailed(`the GitHub API answered ${status} ${STATUS_CODES[status] ?? ""}${hint ? `: ${hint}` : ""}`.trimEnd(), status);
  }
  // No answer at all (DNS, a refused connection or address, a timeout): the reason is ours, not the remote's
  // (Octokit puts the fetch failure's cause in its message).
  const reason = err instanceof Error ? err.message : String(err);
  return new GitHubRequestFailed(`the GitHub API could not be reached: ${reason.slice(0, 300)}`);
}

/** Return the open pull request for `head`, creating it only when there is none. */
export async function openPullRequest(options: OpenPullRequest): Promise<PullRequestRef> {
  if (options.outbound) await options.outbound.check(options.apiUrl, "github.apiUrl");
  try {
    return await findOrCreate(options);
  } catch (err) {
    throw withoutBody(err);
  }
}

async function findOrCreate(options: OpenPullRequest): Promise<PullRequestRef> {
  const { owner, repo, head } = options;
  const octokit = new Octokit({
    auth: options.token,
    baseUrl: options.apiUrl.replace(/\/+$/, ""),
    userAgent: "shipyard",
    // Octokit logs every failed request to the console; failures reach the caller as errors instead, and the
    // 422 of a lost creation race is expected.
    log: { debug: noop, info: noop, warn: console.warn, error: noop },
    request: options.outbound ? { fetch: options.outbound.fetch } : {},
  });
  const request = () => ({ signal: options.signal ?? AbortSignal.timeout(30_000) });
  const existing = async (): Promise<PullRequestRef | null> => {
    const { data } = await octokit.rest.pulls.list({ owner, repo, head: `${owner}:${head}`, state: "open", request: request() });
    const pull = data[0];
    return pull ? { url: pull.html_url, number: pull.number, created: false } : null;
  };
  // Listing first makes a re-run after a crash find the pull request the earlier run opened.
  const found = await existing();
  if (found) return found;
  try {
    const { data } = await octokit.rest.pulls.create({
      owner,
      repo,
      head,
      base: options.base,
      title: options.title,
      body: options.body,
      request: request(),
    });
    return { url: data.html_url, number: data.number, created: true };
  } catch (err) {
    // 422 "already exists": another attempt created it between our list and create.
    if (statusOf(err) === 422) {
      const raced = await existing();
      if (raced) return raced;
    }
    throw err;
  }
}

function noop(): void {}

function statusOf(err: unknown): number | undefined {
  return typeof err === "object" && err !== null && "status" in err && typeof err.status === "number" ? err.status : undefined;
}

const TITLE_MAX = 72;

/** A pull request title from a prompt: its first non-blank line, whitespace collapsed, at most 72 characters. */
export function pullRequestTitle(prompt: string): string {
  const line = prompt.split(/\r?\n/).find((l) => l.trim() !== "") ?? "";
  // Code points, not UTF-16 units, so the cut never splits a character.
  const chars = Array.from(line.replace(/\s+/g, " ").trim());
  if (chars.length === 0) return "Changes by Shipyard";
  return chars.length <= TITLE_MAX ? chars.join("") : `${chars.slice(0, TITLE_MAX - 1).join("").trimEnd()}…`;
}

export interface PullRequestBodyInput {
  prompt: string;
  /** What the agent says it did; omitted when empty. */
  summary?: string;
  verification?: {
    commands: readonly string[];
    passed: boolean;
    /** The last lines of the verification output. */
    outputTail?: string;
  };
}

// GitHub rejects bodies over 65,536 characters; these caps keep the whole body well under it.
const PROMPT_MAX = 20_000;
const SUMMARY_MAX = 20_000;
const OUTPUT_MAX = 15_000;

/** The pull request description in Markdown: summary, the prompt, and how verification went. */
export function pullRequestBody(input: PullRequestBodyInput): string {
  const parts: string[] = [];
  const summary = input.summary?.trim();
  if (summary) parts.push("## Summary", "", capped(summary, SUMMARY_MAX), "");
  parts.push("## Prompt", "", fenced(capped(input.prompt.trim(), PROMPT_MAX), "text"), "");
  const v = input.verification;
  parts.push("## Verification", "");
  if (!v || v.commands.length === 0) {
    parts.push("No verification commands were configured.", "");
  } else {
    parts.push(v.passed ? "✅ All checks passed." : "❌ Verification failed.", "");
    parts.push(fenced(v.commands.map((c) => `$ ${c}`).join("\n"), "sh"), "");
    const tail = v.outputTail?.trimEnd();
    if (tail) {
      parts.push("<details><summary>Output (last lines)</summary>", "", fenced(tail.slice(-OUTPUT_MAX), "text"), "", "</details>", "");
    }
  }
  parts.push("---", "_Opened by Shipyard._");
  return parts.join("\n");
}

// A fence longer than any backtick run in the text, so the text cannot close it early.
function fenced(text: string, lang: string): string {
  const longest = Math.max(0, ...Array.from(text.matchAll(/`+/g), (m) => m[0].length));
  const fence = "`".repeat(Math.max(3, longest + 1));
  return `${fence}${lang}\n${text}\n${fence}`;
}

function capped(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max)}\n… (truncated)`;
}
