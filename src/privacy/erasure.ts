// Erasure by crypto-shredding (issue 14 item 5, DESIGN.md decision 3).
//
// Erasing a client destroys their data key: every value and file sealed under it (their name, email and phone, the
// chat and files of their appointments' rooms, their notes) cannot be opened again, in the live database, its WAL, or
// any backup: the subject goes on the shredded list outside the database, and every restore and every start destroys
// the listed keys again (shredded-list.ts). The people row stays as a pseudonymous tombstone, so appointments and the
// audit log keep their references; its blind email index is replaced with random bytes, so the email no longer matches
// anything and may be used again. The audit log keeps the fact, with no data.
import type { Clock } from "../clock.ts";
import type { DB, Queryable } from "../db/client.ts";
import { and, eq } from "drizzle-orm";
import { accounts, dataKeys, jobs, people, sessions } from "../db/schema.ts";
import { recordAudit } from "../audit/audit.ts";
import { endAccessOfErased } from "../accounts/people-admin.ts";
import { cancelForErasure } from "../booking/appointments.ts";
import { removeFromAllRooms } from "../rooms/rooms.ts";
import { randomBytes } from "../crypto/aead.ts";
import type { Vault } from "../vault/vault.ts";
import { appendShredded, checkpointTruncate, destroyKeyBytes } from "./shredded-list.ts";
import { removeContributionsOf } from "../rooms/contributions.ts";
import { type RetentionBlock, retentionBlockOf } from "../retention/holds.ts";

export interface ErasureDeps {
  db: DB;
  vault: Vault;
  clock: Clock;
  dataDir: string;
}

/** Why a person may not be erased; each has a message in i18n (admin.erase.blocked.*). */
export type ErasureBlock = "not-found" | "not-a-client" | "already-erased" | "legal-hold" | "keep-at-least";

/** A refusal; `retention`: what the law keeps (a standing hold, a "keep at least" period), for the erase page. */
export type ErasureRefusal = { ok: false; block: ErasureBlock; reason: string; retention?: RetentionBlock };

export type ErasureCheck = { ok: true } | ErasureRefusal;

export type ErasureResult = { ok: true; ms: number; sessionsEnded: number; walEmptied: boolean } | ErasureRefusal;

/**
 * May this person be erased at `now`? Clients only: staff and admins are deactivated instead (their actions must stay
 * attributable). Nor while the law requires their records kept (src/retention/holds.ts): a standing legal hold, or a
 * "keep at least" period of the organisation's retention policy still running; the admin restricts processing instead.
 */
export function mayErase(db: Queryable, personId: string, now: number): ErasureCheck {
  const person = db.select({ role: people.role }).from(people).where(eq(people.id, personId)).get();
  if (!person) return { ok: false, block: "not-found", reason: "no such person" };
  if (person.role !== "client") return { ok: false, block: "not-a-client", reason: `only clients are erased; a ${person.role} is deactivated instead` };
  const key = db.select({ wrapped: dataKeys.wrapped }).from(dataKeys).where(eq(dataKeys.subject, personId)).get();
  if (!key?.wrapped) return { ok: false, block: "already-erased", reason: "this person is already erased" };
  const kept = retentionBlockOf(db, personId, now);
  if (kept?.kind === "legal-hold") return { ok: false, block: "legal-hold", reason: "a legal hold stands on this client's records", retention: kept };
  if (kept) return { ok: false, block: "keep-at-least", reason: `the retention policy keeps this client's ${kept.recordType} until ${new Date(kept.until).toISOString()}`, retention: kept };
  return { ok: true };
}

/** Whether the person's data key is destroyed: the one mark of an erased person (no column of its own). */
export function isErased(db: Queryable, personId: string): boolean {
  const key = db.select({ wrapped: dataKeys.wrapped, destroyedAt: dataKeys.destroyedAt }).from(dataKeys).where(eq(dataKeys.subject, personId)).get();
  return key !== undefined && key.wrapped === null && key.destroyedAt !== null;
}

/**
 * Erases a client in one immediate transaction: their key destroyed (overwritten, then cleared), sessions ended,
 * account deactivated, email index replaced, `person.erase` audited, the id appended (fsynced) to the shredded list
 * before the commit, so that no acknowledged erasure is missing from it. Then the WAL is checkpointed and truncated,
 * so the pages that held the wrapped key are left nowhere in the live files.
 */
export function eraseClient(deps: ErasureDeps, clientId: string, actor: string): ErasureResult {
  const { db, vault, clock } = deps;
  const began = performance.now();
  const outcome = db.transaction(
    (tx): ErasureResult | { ok: true; sessionsEnded: number } => {
      const check = mayErase(tx, clientId, clock.now());
      if (!check.ok) return check;
      destroyKeyBytes(tx, clientId);
      const ended = tx.delete(sessions).where(eq(sessions.personId, clientId)).returning({ h: sessions.handle }).all().length;
      tx.update(accounts).set({ status: "deactivated", passwordHash: null, totpSecret: null, totpPending: null }).where(eq(accounts.personId, clientId)).run();
      // A reminder or mail still queued for them could only fail now, and must not go out.
      const jobsCancelled = tx.update(jobs).set({ status: "cancelled", finishedAt: clock.now() }).where(and(eq(jobs.subject, clientId), eq(jobs.status, "pending"))).returning({ id: jobs.id }).all().length;
      tx.update(people).set({ emailIndex: Buffer.from(randomBytes(32)) }).where(eq(people.id, clientId)).run();
      // Nothing sealed under the key can be written again: no way back into the account, no appointment left to change.
      endAccessOfErased(tx, clientId, clock.now());
      removeFromAllRooms(tx, clientId);
      const appointmentsCancelled = cancelForErasure({ db: tx, vault, clock }, clientId, actor);
      recordAudit(tx, vault, { actor, action: "person.erase", target: clientId, details: { sessionsEnded: ended, jobsCancelled, appointmentsCancelled }, at: clock.now() });
      appendShredded(deps.dataDir, clientId);
      removeContributionsOf(tx, clientId, deps.dataDir); // rooms under another key: shredding does not reach them
      return { ok: true, sessionsEnded: ended };
    },
    { behavior: "immediate" },
  );
  if (!outcome.ok) return outcome;
  const ms = performance.now() - began;
  vault.forgetSubjectKey(clientId);
  return { ok: true, ms, sessionsEnded: outcome.sessionsEnded, walEmptied: checkpointTruncate(db) };
}
