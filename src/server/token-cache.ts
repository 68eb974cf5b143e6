// Bearer tokens resolved in the last few seconds, so that a client calling the API many times a second (a script
// starting runs, a page polling) costs one token query every few seconds rather than one per request. A revoked
// token leaves at once: each entry is held like a session of its token (./revocations.ts), which every
// revocation's NOTIFY ends in every server process, and which is checked again after a lost LISTEN connection.
import type { Queryable } from "../db/pool.ts";
import { hashToken, resolveToken, type Principal } from "./auth.ts";
import type { Revocations } from "./revocations.ts";

/** How long a resolved token is believed without asking again (its revocation ends it sooner). */
const KEPT_MS = 5000;
/** Tokens kept at most (the oldest go first). */
const MOST = 1000;

interface Entry {
  principal: Principal;
  until: number;
  forget: () => void;
}

/** Recently resolved bearer tokens, by their hash (the secret itself is not kept). */
export class TokenCache {
  private readonly known = new Map<string, Entry>();

  constructor(
    private readonly db: Queryable,
    private readonly revocations: Revocations,
  ) {}

  /** The principal of a bearer token, or null for an unknown or revoked one (which is not kept). */
  async resolve(token: string): Promise<Principal | null> {
    const key = hashToken(token);
    const hit = this.known.get(key);
    if (hit && hit.until > Date.now()) return hit.principal;
    if (hit) this.drop(key, hit);
    const principal = await resolveToken(this.db, token);
    if (!principal) return null;
    const entry: Entry = { principal, until: Date.now() + KEPT_MS, forget: () => undefined };
    this.known.set(key, entry);
    entry.forget = this.revocations.track(principal.tokenId, () => {
      if (this.known.get(key) === entry) this.known.delete(key);
    });
    if (this.known.size > MOST) {
      const [oldest, e] = this.known.entries().next().value!;
      this.drop(oldest, e);
    }
    return principal;
  }

  private drop(key: string, e: Entry): void {
    e.forget();
    if (this.known.get(key) === e) this.known.delete(key);
  }
}
