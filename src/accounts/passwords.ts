// Passwords: argon2id through Bun.password, at OWASP's recommended floor or above (m = 19 MiB, t = 2, p = 1;
// measured in docs/benchmarks.md). Policy after NIST SP 800-63B: at least 10 characters, no composition rules,
// refused when it is a commonly used password (zxcvbn-ts' list of ~49k, shipped with the app).
export const MIN_PASSWORD_LENGTH = 10;
export const MAX_PASSWORD_LENGTH = 256;
const ARGON2 = { algorithm: "argon2id", memoryCost: 19_456, timeCost: 2 } as const;

// Loaded on first use: parsing ~49k words is not worth doing at every start-up.
let common: Promise<Set<string>> | null = null;

export type PasswordProblem = "too-short" | "too-long" | "common";

export async function passwordProblem(password: string): Promise<PasswordProblem | null> {
  const length = [...password].length;
  if (length < MIN_PASSWORD_LENGTH) return "too-short";
  if (length > MAX_PASSWORD_LENGTH) return "too-long";
  common ??= import("@zxcvbn-ts/language-common").then(({ dictionary }) => new Set(dictionary["passwords-common"].map((p) => p.toLowerCase())));
  if ((await common).has(password.toLowerCase())) return "common";
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
