// The one shape of Shipyard's stateless tokens: `<prefix><claims>.<mac>`, both base64url, the MAC an HMAC-SHA256
// under a key derived from the secret key for that kind of token alone. Nothing is stored, every server sharing
// the secret key accepts them, and each kind (task tokens, step tokens) decides what its claims mean.
import { createHmac, timingSafeEqual } from "node:crypto";

/** Seals and opens the claims of one kind of token. */
export class SealedClaims {
  readonly #key: Buffer;

  /** `purpose` names the kind, so that no two kinds' MACs (nor the secret box's) are ever alike. */
  constructor(
    secretKey: Buffer,
    purpose: string,
    readonly prefix: string,
  ) {
    this.#key = createHmac("sha256", secretKey).update(purpose).digest();
  }

  /** The token carrying `claims`. */
  seal(claims: string): string {
    const bytes = Buffer.from(claims, "utf8");
    return `${this.prefix}${bytes.toString("base64url")}.${this.mac(bytes).toString("base64url")}`;
  }

  /** The claims of a genuine token of this kind; null for anything else (the MAC compared in constant time). */
  open(token: string): string | null {
    if (!token.startsWith(this.prefix)) return null;
    const [claimsText, macText, extra] = token.slice(this.prefix.length).split(".");
    if (!claimsText || !macText || extra !== undefined) return null;
    const claims = Buffer.from(claimsText, "base64url");
    const given = Buffer.from(macText, "base64url");
    const expected = this.mac(claims);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
    return claims.toString("utf8");
  }

  private mac(claims: Buffer): Buffer {
    return createHmac("sha256", this.#key).update(claims).digest();
  }
}
