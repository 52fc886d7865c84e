// Sign-in throttling: password guessing is slowed down without letting anyone who merely knows an email lock its
// owner out.
//
// Counting: at most LIMITS[kind].failures failed attempts per key in a window that starts at the first failure; when
// the window has passed, attempts are allowed again. An account is named by its email's blind index ("the account"
// below), so unknown emails are throttled exactly like known ones and the database holds no address. A client address
// is an IPv4 address or an IPv6 /64 (src/http/client-ip.ts).
//
// The keys of a password attempt (OWASP's "device cookies", the scheme big identity providers use in some form):
//   - from a browser that proved a correct password for this account before (a device proof, below): only that
//     proof's own counter, 5 per 15 minutes. Nothing anyone does elsewhere refuses the owner on their own browser.
//   - from any other browser: the account *from this address* (5 per 15 minutes), the address across all accounts
//     (20), and the account from everywhere (20). One attacking address is stopped at 5 and cannot, alone, reach the
//     account-wide 20 within a window, so the owner still signs in from another address even on a new browser. Only
//     many addresses together (a distributed guess) close the account to new browsers, for the rest of the window:
//     the owner's known browsers still get in.
// Device proofs: after a correct password, the browser gets a cookie holding, per account, the time it was issued, a
// random nonce and an HMAC under the index key over the account, time and nonce. It names no account (the MAC is
// checked against the account being signed in to), cannot be made without the key, and expires after 180 days. It
// only exempts from other people's failures: the password (and second factor) are still needed.
// Known limit: a distributed guess closes the account to new browsers of its owner for up to 15 minutes.
import { randomBytes, timingSafeEqual } from "node:crypto";
import type { Queryable } from "../db/client.ts";
import type { Vault } from "../vault/vault.ts";
import * as store from "./accounts.store.ts";

const WINDOW_MS = 15 * 60_000;

export const LIMITS = {
  /** One account from one client address. */
  accountFromAddress: { failures: 5, windowMs: WINDOW_MS },
  /** One account from everywhere: closes it to new browsers only (see the header). */
  account: { failures: 20, windowMs: WINDOW_MS },
  /** One browser that proved this account's password before. */
  device: { failures: 5, windowMs: WINDOW_MS },
  /** One client address across accounts. */
  ip: { failures: 20, windowMs: WINDOW_MS },
  /** Second-factor codes per person. */
  secondFactor: { failures: 5, windowMs: WINDOW_MS },
  /** Self-registrations per address: every attempt counts, so the form cannot be used to test many emails. */
  register: { failures: 10, windowMs: 60 * 60_000 },
  /** Wrong registration codes per address being registered (its blind index: known or unknown alike). */
  registerCode: { failures: 5, windowMs: WINDOW_MS },
  /** Sign-in codes sent by email per person: every code sent counts. */
  emailCode: { failures: 5, windowMs: 60 * 60_000 },
  /** Password-reset requests per address asked about (known or not alike): every request counts. */
  resetRequest: { failures: 3, windowMs: 60 * 60_000 },
  /** Password-reset requests per client address, across the addresses asked about. */
  resetFromAddress: { failures: 10, windowMs: 60 * 60_000 },
} as const;

export type ThrottleKey = { kind: keyof typeof LIMITS; id: string };

/** Milliseconds until another attempt is allowed for all the keys; 0 when it is allowed now. */
export function retryAfter(db: Queryable, keys: readonly ThrottleKey[], now = Date.now()): number {
  let wait = 0;
  for (const key of keys) {
    const limit = LIMITS[key.kind];
    const row = store.getFailures(db, `${key.kind}:${key.id}`);
    if (!row || row.failures < limit.failures) continue;
    wait = Math.max(wait, row.windowStartedAt + limit.windowMs - now);
  }
  return Math.max(0, wait);
}

export function recordFailure(db: Queryable, keys: readonly ThrottleKey[], now = Date.now()): void {
  for (const key of keys) {
    const id = `${key.kind}:${key.id}`;
    const row = store.getFailures(db, id);
    if (!row || now - row.windowStartedAt >= LIMITS[key.kind].windowMs) store.putFailures(db, id, 1, now);
    else store.putFailures(db, id, row.failures + 1, row.windowStartedAt);
  }
}

export function clearFailures(db: Queryable, key: ThrottleKey): void {
  store.clearFailures(db, `${key.kind}:${key.id}`);
}

/** Forgets failure windows that ended long ago (they no longer throttle anything). */
export function pruneFailures(db: Queryable, now = Date.now()): number {
  const longest = Math.max(...Object.values(LIMITS).map((l) => l.windowMs));
  return store.deleteFailuresOlderThan(db, now - longest);
}

/** How an account is named in throttle keys: its normalised email's blind index (the same for unknown addresses). */
export function accountThrottleId(vault: Vault, normalizedEmail: string): string {
  return Buffer.from(vault.blindIndex("people.email", normalizedEmail)).toString("hex");
}

/** Wrong second-factor codes of a person, at sign-in and when enrolling codes by email alike. */
export function secondFactorKey(personId: string): ThrottleKey {
  return { kind: "secondFactor", id: personId };
}

/** The keys a password attempt for `account` is counted under: the device proof's own, or those of a new browser. */
export function passwordKeys(account: string, ip: string, device: string | null): ThrottleKey[] {
  if (device) return [{ kind: "device", id: device }];
  return [
    { kind: "accountFromAddress", id: `${account}@${ip}` },
    { kind: "ip", id: ip },
    { kind: "account", id: account },
  ];
}

// ── device proofs ──

export const DEVICE_COOKIE = "kabinet_device";
export const DEVICE_PROOF_MS = 180 * 24 * 3600_000;
const MAX_PROOFS = 5; // accounts remembered per browser (a shared PC), newest first

/** The nonce of this browser's valid proof for the account (its throttle id), or null. */
export function provenDevice(vault: Vault, account: string, cookie: string | undefined, now: number): string | null {
  for (const entry of (cookie ?? "").split("~").slice(0, MAX_PROOFS)) {
    const [time = "", nonce = "", mac = ""] = entry.split(".");
    const issuedAt = parseInt(time, 36);
    if (!(issuedAt <= now && now - issuedAt < DEVICE_PROOF_MS) || !/^[A-Za-z0-9_-]{22}$/.test(nonce)) continue;
    const expected = Buffer.from(proofMac(vault, account, time, nonce)); // compared as text: one spelling only
    const given = Buffer.from(mac);
    if (given.length === expected.length && timingSafeEqual(given, expected)) return nonce;
  }
  return null;
}

/** The cookie after a correct password: a fresh proof for this account first, the browser's other valid ones after. */
export function addDeviceProof(vault: Vault, account: string, cookie: string | undefined, now: number): string {
  const time = now.toString(36);
  const nonce = randomBytes(16).toString("base64url");
  const fresh = `${time}.${nonce}.${proofMac(vault, account, time, nonce)}`;
  const others = (cookie ?? "")
    .split("~")
    .filter((e) => /^[0-9a-z]{1,12}\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{22}$/.test(e) && now - parseInt(e, 36) < DEVICE_PROOF_MS)
    .filter((e) => provenDevice(vault, account, e, now) === null); // the old proof for this account is replaced
  return [fresh, ...others].slice(0, MAX_PROOFS).join("~");
}

/** HMAC-SHA-256 under the index key, domain-separated from email lookups by its "column"; 128 bits, base64url. */
function proofMac(vault: Vault, account: string, time: string, nonce: string): string {
  return Buffer.from(vault.blindIndex("sign-in.device-proof", `${account}.${time}.${nonce}`).subarray(0, 16)).toString("base64url");
}
