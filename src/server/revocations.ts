import type { Queryable } from "../db/pool.ts";
import type { Notifier } from "../events/notifier.ts";
import type { Logger } from "../logger.ts";
import { isRevoked, TOKEN_REVOKED_CHANNEL } from "../tokens/store.ts";

/**
 * Long-lived sessions opened with a token (SSE streams, runner connections, the recently resolved tokens of
 * ./token-cache.ts) by token id, so that a revoked token's sessions end at once in every server process: the
 * revoking transaction NOTIFYs, each process's Notifier hears it and closes what it holds.
 */
export class Revocations {
  private readonly sessions = new Map<string, Set<() => void>>();

  constructor(
    private readonly db: Queryable,
    private readonly log: Logger,
  ) {}

  /** Listen for revocations. */
  async start(notifier: Notifier): Promise<void> {
    await notifier.on(TOKEN_REVOKED_CHANNEL, (tokenId) => this.closeAll(tokenId));
    // A revocation announced while the LISTEN connection was down was not heard: ask about every token held.
    notifier.onReconnect(() => {
      for (const tokenId of this.sessions.keys()) this.recheck(tokenId);
    });
  }

  /** Close the token's sessions if it has been revoked meanwhile. */
  private recheck(tokenId: string): void {
    void isRevoked(this.db, tokenId).then(
      (revoked) => {
        if (revoked) this.closeAll(tokenId);
      },
      (err: Error) => this.log.warn({ err: err.message, tokenId }, "could not re-check a token"),
    );
  }

  /**
   * Call `close` when the token is revoked; returns the function that forgets it (call it when the session
   * ends). A revocation that committed between the request's authentication and this call was announced
   * before anyone listened for it, so the token is checked once more after the session is registered.
   */
  track(tokenId: string, close: () => void): () => void {
    const set = this.sessions.get(tokenId) ?? new Set();
    set.add(close);
    this.sessions.set(tokenId, set);
    this.recheck(tokenId);
    return () => {
      set.delete(close);
      if (set.size === 0 && this.sessions.get(tokenId) === set) this.sessions.delete(tokenId);
    };
  }

  /** A token this process has just revoked (committed): what it holds with it ends now. */
  revokedHere(tokenId: string): void {
    this.closeAll(tokenId);
  }

  private closeAll(tokenId: string): void {
    const set = this.sessions.get(tokenId);
    if (!set) return;
    this.sessions.delete(tokenId);
    this.log.info({ tokenId, sessions: set.size }, "token revoked; closing its sessions");
    for (const close of set) {
      try {
        close();
      } catch (err) {
        this.log.warn({ err: (err as Error).message, tokenId }, "closing a revoked token's session failed");
      }
    }
  }
}
