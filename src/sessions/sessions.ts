// Server-side sessions.
//
// Protects: who a request acts as. Invariants: the token (256 random bits) exists only in the person's cookie; the
// database holds its SHA-256, so a copied database cannot be replayed as a cookie. A session ends after
// `idleMinutes` without a request and 12 hours after it began, whatever happens. A session that has only passed the
// password is at stage "second-factor" or "enrol" and can reach nothing but those steps. Sign-in and every change of
// privilege mint a new session (new token), so a token planted before sign-in is worthless afterwards.
// A session ended on purpose (sign-out, revocation, deactivation, role change, a new start) is announced to whoever
// holds a long-lived connection on it (a call's signalling socket), so that connection ends too: without this an open
// call would outlive "sign out everywhere". Sessions that merely expire are not announced (a call makes no requests
// and would otherwise be cut off by the idle timeout).
import { randomBytes } from "node:crypto";
import { hashToken, isTokenShaped, newToken } from "../crypto/token.ts";
import type { Queryable } from "../db/client.ts";
import type { SessionInfo, SessionStage } from "../http/env.ts";
import * as store from "./sessions.store.ts";

export const ABSOLUTE_TIMEOUT_MS = 12 * 60 * 60 * 1000;
/** lastSeen is written at most this often, so reading pages does not mean a write per request. */
const TOUCH_INTERVAL_MS = 60 * 1000;

export type { SessionStage };
/** The shape is declared in http/env.ts, which carries it on every request and may import no domain. */
export type Session = SessionInfo;

export interface NewSession {
  personId: string;
  stage: SessionStage;
  device: string;
}

export function createSession(tx: Queryable, input: NewSession, now = Date.now()): { token: string; session: Session } {
  const token = newToken();
  const session: Session = {
    handle: randomBytes(12).toString("base64url"),
    ...input,
    createdAt: now,
    lastSeenAt: now,
    expiresAt: now + ABSOLUTE_TIMEOUT_MS,
    reauthAt: now,
  };
  store.insertSession(tx, { tokenHash: Buffer.from(hashToken(token)), ...session });
  return { token, session };
}

/** The live session for a cookie's token, or null (unknown, idle too long, or past its absolute end). */
export function validateSessionToken(db: Queryable, token: string, idleMinutes: number, now = Date.now()): Session | null {
  if (!isTokenShaped(token)) return null;
  const row = store.getSessionByTokenHash(db, hashToken(token));
  if (!row) return null;
  if (now >= row.expiresAt || now - row.lastSeenAt >= idleMinutes * 60_000) {
    store.deleteSession(db, row.handle);
    return null;
  }
  if (now - row.lastSeenAt >= TOUCH_INTERVAL_MS) store.touchSession(db, row.handle, now);
  const { tokenHash: _, ...session } = row;
  return { ...session, lastSeenAt: Math.max(row.lastSeenAt, now) };
}

export function markReauthenticated(db: Queryable, handle: string, now = Date.now()): void {
  store.setSessionReauth(db, handle, now);
}

export function invalidateSession(db: Queryable, handle: string): void {
  const personId = store.deleteSession(db, handle);
  if (personId) announceSessionsEnded(personId);
}

/** Ends one of the person's own sessions; false when the handle is not theirs. */
export function invalidateOwnSession(db: Queryable, personId: string, handle: string): boolean {
  const ended = store.deleteSessionOfPerson(db, personId, handle);
  if (ended) announceSessionsEnded(personId);
  return ended;
}

export function invalidatePersonSessions(db: Queryable, personId: string, options: { except?: string } = {}): number {
  const ended = store.deletePersonSessions(db, personId, options.except ?? null);
  if (ended > 0) announceSessionsEnded(personId);
  return ended;
}

/** Whether the session is still there (not ended); for a connection opened on it to check after an announcement. */
export function sessionStillExists(db: Queryable, handle: string): boolean {
  return store.sessionExists(db, handle);
}

type SessionsEndedListener = (personId: string) => void;
const endedListeners = new Set<SessionsEndedListener>();

/**
 * Calls `listener` with a person's id after some of their sessions were ended on purpose; the listener checks which
 * of the sessions it cares about are gone (`sessionStillExists`). Returns the function that stops listening.
 */
export function onSessionsEnded(listener: SessionsEndedListener): () => void {
  endedListeners.add(listener);
  return () => endedListeners.delete(listener);
}

// Sessions end inside the caller's transaction: the announcement waits until that has committed (the transaction is
// synchronous, so a microtask runs after it), and a rolled-back ending leaves the session in place for the check.
function announceSessionsEnded(personId: string): void {
  if (endedListeners.size === 0) return;
  queueMicrotask(() => {
    for (const listener of endedListeners) {
      // One failing listener must neither stop the others nor, as an uncaught error, the process.
      try {
        listener(personId);
      } catch (err) {
        console.error(JSON.stringify({ level: "error", msg: "session-ended listener failed", error: (err as Error).name }));
      }
    }
  });
}

export function listPersonSessions(db: Queryable, personId: string): Session[] {
  return store
    .listPersonSessionRows(db, personId)
    .map(({ tokenHash: _, ...s }) => s)
    .sort((a, b) => b.lastSeenAt - a.lastSeenAt);
}

export function deleteExpiredSessions(db: Queryable, idleMinutes: number, now = Date.now()): number {
  return store.deleteExpiredSessions(db, now, now - idleMinutes * 60_000);
}


/** "Firefox on Android": enough for a person to recognise their device, nothing more. */
export function describeDevice(userAgent: string | undefined): string {
  const ua = userAgent ?? "";
  const browser =
    /Edg\//.test(ua) ? "Edge" : /OPR\/|Opera/.test(ua) ? "Opera" : /YaBrowser/.test(ua) ? "Yandex Browser"
    : /Firefox\//.test(ua) ? "Firefox" : /Chrome\/|Chromium\//.test(ua) ? "Chrome" : /Safari\//.test(ua) ? "Safari" : null;
  const os =
    /Android/.test(ua) ? "Android" : /iPhone|iPad|iPod/.test(ua) ? "iOS" : /Windows/.test(ua) ? "Windows"
    : /Mac OS X|Macintosh/.test(ua) ? "macOS" : /Linux/.test(ua) ? "Linux" : null;
  if (browser && os) return `${browser} on ${os}`;
  return browser ?? os ?? "Unknown device";
}
