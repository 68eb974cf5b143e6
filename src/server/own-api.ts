// Shipyard's own API as the server-run steps of this process reach it: this process's own listening address
// (on loopback: a request there runs outside the calling step's DBOS context, as any request does, so a route
// may start workflows), with a step token the app's auth accepts. In `up` the engine starts (and may resume an
// http step) before the API listens, so a call waits for it. This process's own
// previews are reached the same way: they are Shipyard's pages, served on loopback under names (`*.localhost`)
// that the system resolver may not know, so a tree can check what it built without opening private URLs.
import { parsePreviewHost } from "../previews/urls.ts";
import type { StepApiTokens, StepTokenClaims } from "../tokens/step-tokens.ts";

/** The app's fetch handler. */
export type FetchHandler = (request: Request) => Response | Promise<Response>;

/** Where the API is mounted. */
const API_BASE = "/api/v1";

/** Calls to this process's own API. */
export class OwnApi {
  #baseUrl: string | null = null;
  #unavailable: string | null = null;
  readonly #waiting: (() => void)[] = [];
  #previews: { handler: FetchHandler; baseDomain: string; port: number } | null = null;

  constructor(readonly tokens: StepApiTokens) {}

  /** The API listens at `baseUrl` (e.g. http://127.0.0.1:7420): calls go there from now on. */
  serve(baseUrl: string): void {
    this.#baseUrl = baseUrl.replace(/\/$/, "");
    for (const wake of this.#waiting.splice(0)) wake();
  }

  /** The preview host of this process: URLs on it are fetched from `handler`. */
  servePreviews(handler: FetchHandler, baseDomain: string, port: number): void {
    this.#previews = { handler, baseDomain, port };
  }

  /** The preview host's answer when `url` is one of this process's previews; null for any other URL. */
  async fetchPreview(url: string, init: RequestInit): Promise<Response | null> {
    const p = this.#previews;
    if (!p) return null;
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      return null;
    }
    if (parsed.protocol !== "http:" || Number(parsed.port || 80) !== p.port || !parsePreviewHost(parsed.hostname, p.baseDomain)) return null;
    const headers = new Headers(init.headers);
    headers.set("host", parsed.host);
    return p.handler(new Request(parsed, { ...init, headers }));
  }

  /** This process serves no API (a worker): calls fail with `reason`. */
  refuse(reason: string): void {
    this.#unavailable = reason;
    for (const wake of this.#waiting.splice(0)) wake();
  }

  /** Call `path` (relative to /api/v1) as `who`; the token is added here and never leaves the request. */
  async fetch(path: string, init: RequestInit & { signal?: AbortSignal }, who: StepTokenClaims): Promise<Response> {
    const baseUrl = await this.ready(init.signal);
    const headers = new Headers(init.headers);
    headers.set("authorization", `Bearer ${this.tokens.mint(who)}`);
    return fetch(`${baseUrl}${API_BASE}${path}`, { ...init, headers, redirect: "manual" });
  }

  private async ready(signal?: AbortSignal): Promise<string> {
    while (!this.#baseUrl) {
      if (this.#unavailable) throw new Error(this.#unavailable);
      signal?.throwIfAborted();
      await new Promise<void>((resolve) => {
        this.#waiting.push(resolve);
        signal?.addEventListener("abort", () => resolve(), { once: true });
      });
    }
    return this.#baseUrl;
  }
}
