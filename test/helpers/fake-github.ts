// A fake GitHub on loopback: the pull-request endpoints Shipyard uses, in GitHub's shapes, plus (when given a
// directory of bare repositories) git's smart HTTP protocol through the real `git http-backend`, so tests can
// clone and push over HTTP with a token exactly as against github.com.
import { spawn } from "node:child_process";
import http from "node:http";
import type { AddressInfo } from "node:net";
import type { UrlPolicy } from "../../src/net/url-policy.ts";

/**
 * The fake listens on loopback over plain http, which Shipyard refuses to call by default: a test that points
 * a server at it sets this in that server's environment, so that the default stays provably refusing.
 */
export const FAKE_GITHUB_ENV = { SHIPYARD_ALLOW_PRIVATE_URLS: "true", SHIPYARD_ALLOWED_HTTP_HOSTS: "127.0.0.1" };

/** FAKE_GITHUB_ENV as a policy, for tests that call the GitHub client directly. */
export const FAKE_GITHUB_POLICY: UrlPolicy = { allowPrivate: true, allowedHttpHosts: ["127.0.0.1"], allowLocalRepos: true };

export interface FakeRequest {
  method: string;
  /** Path and query string. */
  path: string;
  /** The parsed JSON body, when there was one. */
  body: unknown;
  /** The `authorization` header, when sent. */
  auth: string | undefined;
}

export interface FakePull {
  number: number;
  owner: string;
  repo: string;
  title: string;
  body: string | null;
  /** The branch name, without an owner. */
  head: string;
  base: string;
  state: "open" | "closed";
  html_url: string;
}

export interface FakeGitHub {
  url: string;
  requests: FakeRequest[];
  /** Every pull request, in creation order; tests may add or close some. */
  pulls: FakePull[];
  close(): Promise<void>;
}

export interface FakeGitHubOptions {
  /** When set, requests must carry it (`token T`, `Bearer T`, or as the Basic password for git) or get 401. */
  token?: string;
  /** A directory holding bare repositories as `<owner>/<repo>.git`, served at `<url>/<owner>/<repo>.git`. */
  gitRoot?: string;
  /** Awaited after a pull request is created and before the answer is sent: a window to crash the caller in. */
  afterCreate?: (pull: FakePull) => Promise<void>;
}

const DOCS = "https://docs.github.com/rest/pulls/pulls#create-a-pull-request";

/** Start the fake on 127.0.0.1 with an ephemeral port. */
export async function startFakeGitHub(options: FakeGitHubOptions = {}): Promise<FakeGitHub> {
  const requests: FakeRequest[] = [];
  const pulls: FakePull[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const raw = Buffer.concat(chunks);
      const url = new URL(req.url ?? "/", "http://fake");
      const gitPath = /^\/[^/]+\/[^/]+\.git(?:\/.*)?$/.test(url.pathname);
      const body = !gitPath && raw.length > 0 ? parseJson(raw.toString("utf8")) : undefined;
      requests.push({ method: req.method ?? "GET", path: req.url ?? "/", body, auth: req.headers.authorization });
      if (!authorized(req.headers.authorization, options.token, gitPath)) {
        if (gitPath) res.setHeader("www-authenticate", 'Basic realm="fake-github"');
        return send(res, 401, { message: gitPath ? "Authentication required" : "Bad credentials" });
      }
      if (gitPath && options.gitRoot) return gitHttpBackend(req, res, url, raw, options.gitRoot);
      const match = /^\/repos\/([^/]+)\/([^/]+)\/pulls$/.exec(url.pathname);
      if (!match) return send(res, 404, { message: "Not Found", documentation_url: "https://docs.github.com/rest" });
      const [owner, repo] = [decodeURIComponent(match[1] ?? ""), decodeURIComponent(match[2] ?? "")];
      if (req.method === "GET") return send(res, 200, listPulls(pulls, owner, repo, url.searchParams).map(toGitHub));
      if (req.method !== "POST") return send(res, 404, { message: "Not Found" });
      const [status, result] = createPull(pulls, owner, repo, body, raw.length > 0);
      const created = status === 201 ? pulls.at(-1) : undefined;
      if (created && options.afterCreate) void options.afterCreate(created).then(() => send(res, status, result), () => res.destroy());
      else send(res, status, result);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    pulls,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

function authorized(header: string | undefined, token: string | undefined, gitPath: boolean): boolean {
  if (token === undefined) return true;
  if (header === `token ${token}` || header === `Bearer ${token}`) return true;
  if (!gitPath || !header?.startsWith("Basic ")) return false;
  const decoded = Buffer.from(header.slice(6), "base64").toString("utf8");
  return decoded.slice(decoded.indexOf(":") + 1) === token;
}

function listPulls(pulls: FakePull[], owner: string, repo: string, query: URLSearchParams): FakePull[] {
  const state = query.get("state") ?? "open";
  const head = query.get("head");
  return pulls.filter(
    (p) =>
      p.owner === owner &&
      p.repo === repo &&
      (state === "all" || p.state === state) &&
      // GitHub's filter is `user:ref-name`; the head repo is always the base repo here.
      (head === null || head === `${p.owner}:${p.head}`),
  );
}

function createPull(pulls: FakePull[], owner: string, repo: string, body: unknown, hadBody: boolean): [number, unknown] {
  if (hadBody && body === undefined) return [400, { message: "Problems parsing JSON", documentation_url: DOCS }];
  const input = (typeof body === "object" && body !== null ? body : {}) as Record<string, unknown>;
  for (const field of ["title", "head", "base"]) {
    if (typeof input[field] !== "string" || input[field] === "") {
      return [422, validationFailed({ resource: "PullRequest", code: "missing_field", field })];
    }
  }
  if (input.body !== undefined && input.body !== null && typeof input.body !== "string") {
    return [422, validationFailed({ resource: "PullRequest", code: "invalid", field: "body" })];
  }
  const rawHead = input.head as string;
  const head = rawHead.includes(":") ? rawHead.slice(rawHead.indexOf(":") + 1) : rawHead;
  if (pulls.some((p) => p.owner === owner && p.repo === repo && p.head === head && p.state === "open")) {
    const message = `A pull request already exists for ${owner}:${head}.`;
    return [422, validationFailed({ resource: "PullRequest", code: "custom", message })];
  }
  const number = pulls.length + 1;
  const pull: FakePull = {
    number,
    owner,
    repo,
    title: input.title as string,
    body: (input.body as string | undefined) ?? null,
    head,
    base: input.base as string,
    state: "open",
    html_url: `https://github.example/${owner}/${repo}/pull/${number}`,
  };
  pulls.push(pull);
  return [201, toGitHub(pull)];
}

function validationFailed(error: Record<string, string>): unknown {
  return { message: "Validation Failed", errors: [error], documentation_url: DOCS, status: "422" };
}

function toGitHub(p: FakePull): unknown {
  return {
    number: p.number,
    state: p.state,
    title: p.title,
    body: p.body,
    html_url: p.html_url,
    url: `https://api.github.example/repos/${p.owner}/${p.repo}/pulls/${p.number}`,
    head: { ref: p.head, label: `${p.owner}:${p.head}` },
    base: { ref: p.base, label: `${p.owner}:${p.base}` },
  };
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function send(res: http.ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { "content-type": "application/json; charset=utf-8" });
  res.end(JSON.stringify(body));
}

// Runs git's own CGI for the smart HTTP protocol. REMOTE_USER enables receive-pack (push), which
// http-backend only allows for authenticated users.
function gitHttpBackend(req: http.IncomingMessage, res: http.ServerResponse, url: URL, body: Buffer, root: string): void {
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    GIT_PROJECT_ROOT: root,
    GIT_HTTP_EXPORT_ALL: "1",
    PATH_INFO: decodeURIComponent(url.pathname),
    QUERY_STRING: url.search.slice(1),
    REQUEST_METHOD: req.method ?? "GET",
    CONTENT_TYPE: req.headers["content-type"] ?? "",
    CONTENT_LENGTH: String(body.length),
    REMOTE_USER: "x-access-token",
    REMOTE_ADDR: "127.0.0.1",
  };
  if (req.headers["content-encoding"]) env.HTTP_CONTENT_ENCODING = req.headers["content-encoding"];
  if (req.headers["git-protocol"]) env.GIT_PROTOCOL = String(req.headers["git-protocol"]);
  const child = spawn("git", ["http-backend"], { env, stdio: ["pipe", "pipe", "ignore"] });
  const out: Buffer[] = [];
  child.stdout.on("data", (c: Buffer) => out.push(c));
  child.stdin.end(body);
  child.on("close", () => {
    // CGI output: header lines, a blank line, then the body.
    const all = Buffer.concat(out);
    const crlf = all.indexOf("\r\n\r\n");
    const [headEnd, sep] = crlf >= 0 ? [crlf, 4] : [all.indexOf("\n\n"), 2];
    if (headEnd < 0) return send(res, 500, { message: "git http-backend failed" });
    let status = 200;
    for (const line of all.subarray(0, headEnd).toString("latin1").split(/\r?\n/)) {
      const colon = line.indexOf(":");
      const [name, value] = [line.slice(0, colon).trim(), line.slice(colon + 1).trim()];
      if (name.toLowerCase() === "status") status = Number.parseInt(value, 10);
      else if (colon > 0) res.setHeader(name, value);
    }
    res.writeHead(status);
    res.end(all.subarray(headEnd + sep));
  });
}
