// TOTP (RFC 6238) through otpauth: SHA-1, 6 digits, 30-second steps, what every authenticator app reads.
// otpauth does not refuse a reused code, so the accepted time step is returned and stored: a code whose step is not
// newer than the last accepted one is refused (replay).
import { Secret, TOTP } from "otpauth";

const PERIOD = 30;

export function generateTOTPSecret(): string {
  return new Secret({ size: 20 }).base32;
}

export function totpURI(secretBase32: string, issuer: string, account: string): string {
  return new TOTP({ issuer, label: account, secret: Secret.fromBase32(secretBase32), period: PERIOD }).toString();
}

/** The time step the code belongs to (±1 step for clock drift), or null when it is wrong or already used. */
export function verifyTOTP(secretBase32: string, code: string, lastStep: number | null, now = Date.now()): number | null {
  const token = code.replace(/\s/g, "");
  if (!/^\d{6}$/.test(token)) return null;
  const totp = new TOTP({ secret: Secret.fromBase32(secretBase32), period: PERIOD });
  const delta = totp.validate({ token, timestamp: now, window: 1 });
  if (delta === null) return null;
  const step = Math.floor(now / 1000 / PERIOD) + delta;
  return lastStep !== null && step <= lastStep ? null : step;
}

/** For tests and the browser test's robot: the code an authenticator would show. */
export function currentTOTP(secretBase32: string, now = Date.now()): string {
  return new TOTP({ secret: Secret.fromBase32(secretBase32), period: PERIOD }).generate({ timestamp: now });
}
