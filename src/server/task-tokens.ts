// Task tokens let the process a runner started for one task (an agent) call back into the server, for that task
// only and only while it runs. A token is the task id and dispatch number with an HMAC under a key derived from
// the secret key, so nothing is stored, every server sharing the key accepts it, and a token from an earlier
// dispatch of the same task stops working once the task is handed out again.
import { createHmac, timingSafeEqual } from "node:crypto";

const PREFIX = "syt_";

/** The task a verified token was minted for. */
export interface TaskTokenClaims {
  taskId: string;
  dispatch: number;
}

/** Mints and verifies task tokens. */
export class TaskTokens {
  readonly #key: Buffer;

  constructor(secretKey: Buffer) {
    // A key of its own: a token MAC never doubles as anything the secret box computes.
    this.#key = createHmac("sha256", secretKey).update("shipyard task tokens v1").digest();
  }

  /** The token for one dispatch of a task. */
  mint(taskId: string, dispatch: number): string {
    const claims = Buffer.from(`${taskId}\n${dispatch}`, "utf8");
    return `${PREFIX}${claims.toString("base64url")}.${this.mac(claims).toString("base64url")}`;
  }

  /** The claims of a genuine token; null for anything else (compared in constant time). */
  verify(token: string): TaskTokenClaims | null {
    if (!token.startsWith(PREFIX)) return null;
    const [claimsText, macText, extra] = token.slice(PREFIX.length).split(".");
    if (!claimsText || !macText || extra !== undefined) return null;
    const claims = Buffer.from(claimsText, "base64url");
    const given = Buffer.from(macText, "base64url");
    const expected = this.mac(claims);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
    const [taskId, dispatch] = claims.toString("utf8").split("\n");
    const n = Number(dispatch);
    if (!taskId || !Number.isInteger(n)) return null;
    return { taskId, dispatch: n };
  }

  private mac(claims: Buffer): Buffer {
    return createHmac("sha256", this.#key).update(claims).digest();
  }
}
