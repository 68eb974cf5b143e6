// Signing per the Standard Webhooks spec, with its own package (never a hand-rolled HMAC).
import { randomBytes } from "node:crypto";
import { Webhook } from "standardwebhooks";

/** A new signing secret: 32 random bytes, base64, prefixed `whsec_` (the spec's format). */
export function newSigningSecret(): string {
  return `whsec_${randomBytes(32).toString("base64")}`;
}

/** The headers that sign `body` as message `msgId` sent at `at`: webhook-id, webhook-timestamp, webhook-signature. */
export function signedHeaders(secret: string, msgId: string, at: Date, body: string): Record<string, string> {
  return {
    "webhook-id": msgId,
    "webhook-timestamp": String(Math.floor(at.getTime() / 1000)),
    "webhook-signature": new Webhook(secret).sign(msgId, at, body),
  };
}

/** The context an endpoint's encrypted secret is bound to: a ciphertext copied to another row does not decrypt. */
export function secretContext(workspaceId: string, endpointId: string): string {
  return JSON.stringify(["webhook", workspaceId, endpointId]);
}
