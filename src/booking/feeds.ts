// Private calendar feeds: one revocable address per person that calendar apps (Google, Outlook, Apple) subscribe to.
// The token is 256 random bits in the URL (calendar apps cannot sign in); only its hash finds the feed, and the
// request log records the route pattern, never the URL. A new address replaces the old one; revoking ends it.
import { recordAudit } from "../audit/audit.ts";
import { hashToken, isTokenShaped, newToken } from "../crypto/token.ts";
import type { Clock } from "../clock.ts";
import type { Queryable } from "../db/client.ts";
import type { Vault } from "../vault/vault.ts";
import { getAccount } from "../accounts/accounts.store.ts";
import * as store from "./booking.store.ts";

export interface FeedDeps {
  db: Queryable;
  vault: Vault;
  clock: Clock;
}

export function feedUrl(publicUrl: URL, token: string): string {
  return new URL(`/calendar/${token}.ics`, publicUrl).toString();
}

export function createFeed(deps: FeedDeps, personId: string, now = deps.clock.now()): string {
  const token = newToken();
  const tokenHash = Buffer.from(hashToken(token));
  deps.db.transaction(
    (tx) => {
      store.replaceFeedRow(tx, { tokenHash, personId, token: Buffer.from(deps.vault.sealField(personId, "calendar_feeds", "token", personId, token)), createdAt: now, lastFetchedAt: null });
      recordAudit(tx, deps.vault, { actor: personId, action: "calendar-feed.create", target: personId });
    },
    { behavior: "immediate" },
  );
  return token;
}

export function revokeFeed(deps: FeedDeps, personId: string): boolean {
  return deps.db.transaction(
    (tx) => {
      const removed = store.deleteFeedRows(tx, personId) > 0;
      if (removed) recordAudit(tx, deps.vault, { actor: personId, action: "calendar-feed.revoke", target: personId });
      return removed;
    },
    { behavior: "immediate" },
  );
}

/** The person's current feed token, to show its address again; null when they have none. */
export function currentFeedToken(deps: FeedDeps, personId: string): string | null {
  const row = store.feedRowOf(deps.db, personId);
  return row ? deps.vault.openField(personId, "calendar_feeds", "token", personId, row.token) : null;
}

/** Ends a person's feeds without an audit entry of their own (the caller's change, e.g. a deactivation, is audited). */
export function endCalendarFeeds(tx: Queryable, personId: string): void {
  store.deleteFeedRows(tx, personId);
}

/** Whose feed this token opens, or null (also when their account is no longer active). */
export function feedOwner(db: Queryable, token: string, now = Date.now()): string | null {
  if (!isTokenShaped(token)) return null;
  const hash = hashToken(token);
  const row = store.feedRowByHash(db, hash);
  if (!row || getAccount(db, row.personId)?.status !== "active") return null;
  store.touchFeedRow(db, hash, now);
  return row.personId;
}
