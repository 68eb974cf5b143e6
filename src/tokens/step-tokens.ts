// Tokens an `http` step's calls to Shipyard's own API carry: scoped to the run's workspace, with the role of
// whoever started the run, and short-lived. A token is its claims with an HMAC under a key derived from the
// secret key, so nothing is stored (nothing to leak from the database, nothing to clean up after a crash) and
// every server sharing the key accepts it; it is minted for one call and dies minutes later.
import { z } from "zod";
import { SealedClaims } from "./sealed.ts";

const PREFIX = "sya_";

/** How long a step token stays valid after it is minted. */
export const STEP_TOKEN_TTL_MS = 5 * 60 * 1000;

const Claims = z.object({
  /** The workspace. */
  w: z.string().min(1),
  /** The role. */
  r: z.enum(["owner", "member", "viewer"]),
  /** The task (the step attempt) it was minted for. */
  t: z.string().min(1),
  /** Expiry, ms since the epoch. */
  e: z.number().int(),
});

/** Who a verified step token stands for. */
export interface StepTokenClaims {
  workspaceId: string;
  role: "owner" | "member" | "viewer";
  taskId: string;
}

/** Mints and verifies step tokens. */
export class StepApiTokens {
  readonly #sealed: SealedClaims;

  constructor(secretKey: Buffer) {
    // A key of its own: never the task tokens' or the secret box's.
    this.#sealed = new SealedClaims(secretKey, "shipyard step api tokens v1", PREFIX);
  }

  /** A token for one http step's call, valid for `ttlMs` from `now`. */
  mint(c: StepTokenClaims, now = Date.now(), ttlMs = STEP_TOKEN_TTL_MS): string {
    return this.#sealed.seal(JSON.stringify({ w: c.workspaceId, r: c.role, t: c.taskId, e: now + ttlMs }));
  }

  /** True when the text looks like a step token (so an unknown one is not looked up as an API token). */
  static looksLike(token: string): boolean {
    return token.startsWith(PREFIX);
  }

  /** The claims of a genuine, unexpired token; null for anything else. */
  verify(token: string, now = Date.now()): StepTokenClaims | null {
    const claims = this.#sealed.open(token);
    if (claims === null) return null;
    let parsed: z.infer<typeof Claims>;
    try {
      parsed = Claims.parse(JSON.parse(claims));
    } catch {
      return null;
    }
    if (parsed.e <= now) return null;
    return { workspaceId: parsed.w, role: parsed.r, taskId: parsed.t };
  }
}
