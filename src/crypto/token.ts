// Bearer tokens (session cookies, one-time links, room invitations): 256 random bits in base64url, kept only by
// their holder; the database stores the SHA-256, which is enough for tokens this long (no guessing, no salt needed).
import { createHash, randomBytes } from "node:crypto";

export function newToken(): string {
  return randomBytes(32).toString("base64url");
}

/** True for strings shaped like newToken()'s output: checked before any lookup. */
export function isTokenShaped(value: string): boolean {
  return /^[A-Za-z0-9_-]{43}$/.test(value);
}

export function hashToken(token: string): Uint8Array {
  return new Uint8Array(createHash("sha256").update(token).digest());
}
