// Encryption at rest for workspace secrets: AES-256-GCM, so a changed ciphertext or a wrong key is detected
// rather than decrypted into garbage.
import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { promises as fs } from "node:fs";
import path from "node:path";

const VERSION = "v1";
const KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const KEY_FILE = "secret-key";

/** Encrypts and decrypts short strings with one 32-byte key. */
export class SecretBox {
  readonly #key: Buffer;

  constructor(key: Buffer) {
    if (key.length !== KEY_BYTES) throw new TypeError(`a secret key is ${KEY_BYTES} bytes, got ${key.length}`);
    this.#key = Buffer.from(key);
  }

  /**
   * `v1:<iv>:<tag>:<ciphertext>` in base64 with a fresh IV. `context` (e.g. which row the value belongs to) is
   * authenticated but not stored: decrypting needs the same context, so a ciphertext copied elsewhere fails.
   */
  encrypt(plain: string, context = ""): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv("aes-256-gcm", this.#key, iv);
    cipher.setAAD(Buffer.from(context, "utf8"));
    const ciphertext = Buffer.concat([cipher.update(plain, "utf8"), cipher.final()]);
    return [VERSION, iv.toString("base64"), cipher.getAuthTag().toString("base64"), ciphertext.toString("base64")].join(":");
  }

  /** The plaintext of `encrypt(plain, context)`; throws when the text was altered, or the key or context differs. */
  decrypt(text: string, context = ""): string {
    const parts = text.split(":");
    if (parts.length !== 4 || parts[0] !== VERSION) {
      throw new Error(`not an encrypted secret (expected "${VERSION}:<iv>:<tag>:<ciphertext>")`);
    }
    const [iv, tag, ciphertext] = parts.slice(1).map(decodeBase64);
    if (!iv || !tag || !ciphertext || iv.length !== IV_BYTES || tag.length !== TAG_BYTES) {
      throw new Error("not an encrypted secret: malformed IV, tag or ciphertext");
    }
    const decipher = createDecipheriv("aes-256-gcm", this.#key, iv, { authTagLength: TAG_BYTES });
    decipher.setAAD(Buffer.from(context, "utf8"));
    decipher.setAuthTag(tag);
    try {
      return Buffer.concat([decipher.update(ciphertext), decipher.final()]).toString("utf8");
    } catch {
      throw new Error("secret could not be decrypted: it was tampered with or encrypted with another key");
    }
  }
}

// Strict: Buffer.from(_, "base64") silently skips junk, which would hide a damaged value.
function decodeBase64(text: string): Buffer | null {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.length % 4 !== 0) return null;
  return Buffer.from(text, "base64");
}

function parseKey(text: string, source: string): Buffer {
  const key = decodeBase64(text.trim());
  if (!key || key.length !== KEY_BYTES) {
    throw new Error(`${source} must be ${KEY_BYTES} bytes in base64 (make one with: openssl rand -base64 32)`);
  }
  return key;
}

/**
 * The secret key: from env `SHIPYARD_SECRET_KEY` (base64) when set, else from `<dataDir>/secret-key`, which is
 * created (mode 600) with a random key on first use.
 */
export async function loadOrCreateKey(dataDir: string, env: NodeJS.ProcessEnv = process.env): Promise<Buffer> {
  const fromEnv = env.SHIPYARD_SECRET_KEY;
  if (fromEnv !== undefined && fromEnv !== "") return parseKey(fromEnv, "SHIPYARD_SECRET_KEY");
  const file = path.join(dataDir, KEY_FILE);
  const existing = await fs.readFile(file, "utf8").catch((err: NodeJS.ErrnoException) => {
    if (err.code === "ENOENT") return null;
    throw err;
  });
  if (existing !== null) return parseKey(existing, file);
  await fs.mkdir(dataDir, { recursive: true });
  // Written in full under a temporary name, then linked into place: a crash never leaves a half-written key,
  // and link fails rather than replacing a key another process created meanwhile.
  const temp = `${file}.${randomBytes(6).toString("hex")}.tmp`;
  await fs.writeFile(temp, `${randomBytes(KEY_BYTES).toString("base64")}\n`, { mode: 0o600, flag: "wx" });
  try {
    await fs.chmod(temp, 0o600);
    await fs.link(temp, file).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== "EEXIST") throw err;
    });
  } finally {
    await fs.unlink(temp);
  }
  return parseKey(await fs.readFile(file, "utf8"), file);
}
