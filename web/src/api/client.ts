// The one way pages talk to the API: same-origin fetch with the session cookie, JSON in and out, and
// problem+json answers turned into ApiError (the server's stable `code`, its detail and any per-field errors).

/** A problem+json answer of the API. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly errors?: unknown,
  ) {
    super(message);
    this.name = "ApiError";
  }
}

/** Where the API lives (the same origin as the UI). */
export const API_BASE = "/api/v1";

/** Call the API: `path` is relative to /api/v1; returns the parsed JSON body (undefined for 204). */
export async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(`${API_BASE}${path}`, {
    method,
    credentials: "same-origin",
    headers: { accept: "application/json", ...(body !== undefined ? { "content-type": "application/json" } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return answer<T>(res);
}

/** Send a file's bytes as the body (its own Content-Type): `path` is relative to /api/v1. */
export async function upload<T>(path: string, file: Blob): Promise<T> {
  const res = await fetch(`${API_BASE}${path}`, {
    method: "POST",
    credentials: "same-origin",
    headers: { accept: "application/json", "content-type": file.type || "application/octet-stream" },
    body: file,
  });
  return answer<T>(res);
}

async function answer<T>(res: Response): Promise<T> {
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  const parsed: unknown = text ? JSON.parse(text) : undefined;
  if (!res.ok) {
    const p = (parsed ?? {}) as { code?: string; detail?: string; errors?: unknown };
    throw new ApiError(res.status, p.code ?? "unknown", p.detail ?? `${res.status} ${res.statusText}`, p.errors);
  }
  return parsed as T;
}

/** GET shorthand. */
export const get = <T>(path: string) => api<T>("GET", path);

/** A query string of the defined values. */
export function query(params: Record<string, string | number | undefined | null>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== "") q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : "";
}
