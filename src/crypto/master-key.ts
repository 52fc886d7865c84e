// The key-encryption key (KEK): 32 random bytes kept outside the database (a file or a docker secret), written as
// base64 the way `openssl rand -base64 32` prints it. It only wraps data keys; it never seals data itself.
import { createHmac } from "node:crypto";
import { KEY_BYTES, randomBytes } from "./aead.ts";

export interface MasterKey {
  /** A public fingerprint that names the key in the database without revealing it. */
  readonly id: string;
  readonly key: Uint8Array;
}

export type ParsedMasterKey = { ok: true; value: MasterKey } | { ok: false; problem: string };

export function parseMasterKey(text: string): ParsedMasterKey {
  const trimmed = text.trim();
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(trimmed)) return { ok: false, problem: "is not base64" };
  const key = new Uint8Array(Buffer.from(trimmed, "base64"));
  if (key.length !== KEY_BYTES) return { ok: false, problem: `holds ${key.length} bytes, not ${KEY_BYTES}` };
  return { ok: true, value: { id: masterKeyId(key), key } };
}

export function masterKeyId(key: Uint8Array): string {
  return createHmac("sha256", key).update("kabinet/kek-id").digest("hex").slice(0, 16);
}

export function generateMasterKeyText(): string {
  return Buffer.from(randomBytes(KEY_BYTES)).toString("base64");
}
