// Tokens an `http` step's calls to Shipyard's own API carry: scoped to the run's workspace, with the role of
// whoever started the run, and short-lived. A token is its claims with an HMAC under a key derived from the
// secret key, so nothing is stored (nothing to leak from the database, nothing to clean up after a crash) and
// every server sharing the key accepts it; it is minted for one call and dies minutes later.
import { createHmac, timingSafeEqual } from "node:crypto";
import { z } from "zod";

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
  readonly #key: Buffer;

  constructor(secretKey: Buffer) {
    // A key of its own: never the task tokens' or the secret box's.
    this.#key = createHmac("sha256", secretKey).update("shipyard step api tokens v1").digest();
  }

  /** A token for one http step's call, valid for `ttlMs` from `now`. */
  mint(c: StepTokenClaims, now = Date.now(), ttlMs = STEP_TOKEN_TTL_MS): string {
    const claims = Buffer.from(JSON.stringify({ w: c.workspaceId, r: c.role, t: c.taskId, e: now + ttlMs }), "utf8");
    return `${PREFIX}${claims.toString("base64url")}.${this.mac(claims).toString("base64url")}`;
  }

  /** True when the text looks like a step token (so an unknown one is not looked up as an API token). */
  static looksLike(token: string): boolean {
    return token.startsWith(PREFIX);
  }

  /** The claims of a genuine, unexpired token; null for anything else (the MAC compared in constant time). */
  verify(token: string, now = Date.now()): StepTokenClaims | null {
    if (!token.startsWith(PREFIX)) return null;
    const [claimsText, macText, extra] = token.slice(PREFIX.length).split(".");
    if (!claimsText || !macText || extra !== undefined) return null;
    const claims = Buffer.from(claimsText, "base64url");
    const given = Buffer.from(macText, "base64url");
    const expected = this.mac(claims);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
    let parsed: z.infer<typeof Claims>;
    try {
      parsed = Claims.parse(JSON.parse(claims.toString("utf8")));
    } catch {
      return null;
    }
    if (parsed.e <= now) return null;
    return { workspaceId: parsed.w, role: parsed.r, taskId: parsed.t };
  }

  private mac(claims: Buffer): Buffer {
    return createHmac("sha256", this.#key).update(claims).digest();
  }
}
