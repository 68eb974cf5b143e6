// Task tokens let the process a runner started for one task (an agent) call back into the server, for that task
// only and only while it runs. A token is the task id and dispatch number with an HMAC under a key derived from
// the secret key, so nothing is stored, every server sharing the key accepts it, and a token from an earlier
// dispatch of the same task stops working once the task is handed out again.
import { SealedClaims } from "../tokens/sealed.ts";

/** The task a verified token was minted for. */
export interface TaskTokenClaims {
  taskId: string;
  dispatch: number;
}

/** Mints and verifies task tokens. */
export class TaskTokens {
  readonly #sealed: SealedClaims;

  constructor(secretKey: Buffer) {
    this.#sealed = new SealedClaims(secretKey, "shipyard task tokens v1", "syt_");
  }

  /** The token for one dispatch of a task. */
  mint(taskId: string, dispatch: number): string {
    return this.#sealed.seal(`${taskId}\n${dispatch}`);
  }

  /** The claims of a genuine token; null for anything else. */
  verify(token: string): TaskTokenClaims | null {
    const claims = this.#sealed.open(token);
    if (claims === null) return null;
    const [taskId, dispatch] = claims.split("\n");
    const n = Number(dispatch);
    if (!taskId || !Number.isInteger(n)) return null;
    return { taskId, dispatch: n };
  }
}
