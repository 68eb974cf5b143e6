import { randomBytes } from "node:crypto";

const ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz";

/** A prefixed, time-ordered, URL-safe id such as `run_01jd3k...`: 10 time chars then 12 random chars. */
export function newId(prefix: string): string {
  let time = Date.now();
  let head = "";
  for (let i = 0; i < 10; i++) {
    head = ALPHABET[time % 32] + head;
    time = Math.floor(time / 32);
  }
  let tail = "";
  for (const byte of randomBytes(12)) tail += ALPHABET[byte % 32];
  return `${prefix}_${head}${tail}`;
}
