// Passwords: argon2id through Bun.password, at OWASP's recommended floor or above (m = 19 MiB, t = 2, p = 1;
// measured in docs/benchmarks.md). Policy after NIST SP 800-63B: at least 10 characters, no composition rules,
// refused when it is a commonly used password (zxcvbn-ts' list of ~49k, shipped with the app).
import { commonPasswordsGzipBase64 } from "./common-passwords.macro.ts" with { type: "macro" };

export const MIN_PASSWORD_LENGTH = 10;
export const MAX_PASSWORD_LENGTH = 256;
const ARGON2 = { algorithm: "argon2id", memoryCost: 19_456, timeCost: 2 } as const;

// Unpacked on first use: building a set of ~49k words is not worth doing at every start-up.
let common: Set<string> | null = null;

export type PasswordProblem = "too-short" | "too-long" | "common";

export async function passwordProblem(password: string): Promise<PasswordProblem | null> {
  const length = [...password].length;
  if (length < MIN_PASSWORD_LENGTH) return "too-short";
  if (length > MAX_PASSWORD_LENGTH) return "too-long";
  // (node:zlib required here, not imported: an import would be initialised at every start-up.)
  const { gunzipSync } = require("node:zlib") as typeof import("node:zlib");
  common ??= new Set(gunzipSync(Buffer.from(commonPasswordsGzipBase64(), "base64")).toString("utf8").split("\n"));
  if (common.has(password.toLowerCase())) return "common";
  return null;
}

export async function hashPassword(password: string): Promise<string> {
  return await Bun.password.hash(password, ARGON2);
}

export async function verifyPassword(password: string, hash: string): Promise<boolean> {
  return await Bun.password.verify(password, hash);
}

let dummy: Promise<string> | null = null;

/**
 * Spends the same time as a real verification, for an unknown email or an account without a password, so the
 * answer's timing does not reveal whether an account exists.
 */
export async function verifyAgainstNothing(password: string): Promise<false> {
  dummy ??= hashPassword("kabinet-timing-equaliser");
  await Bun.password.verify(password, await dummy);
  return false;
}
