// The list of shredded subjects (DESIGN.md decision 3): every backup made before an erasure still holds the erased
// subject's wrapped data key, so the ids of erased subjects are kept OUTSIDE the database, in the data dir, and every
// restored or started database has those keys destroyed again before it is used. The list is read from the current
// installation, never from a backup: a backup older than an erasure does not know about it.
// It holds pseudonymous ids only (no personal data); admins back it up with the master key.
import { closeSync, existsSync, fsyncSync, openSync, readFileSync, writeSync } from "node:fs";
import { join } from "node:path";
import { and, eq, isNotNull, isNull } from "drizzle-orm";
import type { DB, Queryable } from "../db/client.ts";
import { dataKeys } from "../db/schema.ts";
import type { Logger } from "../log.ts";
import type { Vault } from "../vault/vault.ts";
import { destroyDataKey } from "../vault/vault.store.ts";

const FILE = "shredded-subjects";
const SUBJECT = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export function shreddedListPath(dataDir: string): string {
  return join(dataDir, FILE);
}

/** The subjects erased in this installation, in order; an unknown line (a hand edit) is skipped, never fatal. */
export function readShreddedList(dataDir: string): string[] {
  const path = shreddedListPath(dataDir);
  if (!existsSync(path)) return [];
  return readFileSync(path, "utf8")
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => SUBJECT.test(l));
}

/** Appends subjects and fsyncs the file (and, the first time, its directory), so an acknowledged erasure survives power loss. */
export function appendShredded(dataDir: string, ...subjects: string[]): void {
  const bad = subjects.find((s) => !SUBJECT.test(s));
  if (bad !== undefined) throw new Error(`not a subject id: ${bad.slice(0, 40)}`);
  const path = shreddedListPath(dataDir);
  const created = !existsSync(path);
  const fd = openSync(path, "a", 0o600);
  try {
    writeSync(fd, subjects.map((s) => `${s}\n`).join(""));
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  if (created) {
    const dir = openSync(dataDir, "r");
    try {
      fsyncSync(dir);
    } finally {
      closeSync(dir);
    }
  }
}

/**
 * Destroys, in `db`, the data key of every listed subject that still has one; idempotent. Returns how many it
 * destroyed. The wrapped bytes are overwritten before they are cleared, and the connection's secure_delete
 * (db/client.ts) zeroes the space the old cell held.
 */
export function shredListed(db: Queryable, subjects: readonly string[]): number {
  if (subjects.length === 0) return 0;
  let destroyed = 0;
  db.transaction(
    (tx) => {
      for (const subject of subjects) {
        if (destroyKeyBytes(tx, subject)) destroyed++;
      }
    },
    { behavior: "immediate" },
  );
  return destroyed;
}

/** Overwrites then clears one subject's wrapped key; false when it had none (already destroyed or never there). */
export function destroyKeyBytes(tx: Queryable, subject: string): boolean {
  const row = tx.select({ wrapped: dataKeys.wrapped }).from(dataKeys).where(and(eq(dataKeys.subject, subject), isNotNull(dataKeys.wrapped))).get();
  if (!row?.wrapped) return false;
  tx.update(dataKeys).set({ wrapped: Buffer.alloc(row.wrapped.length) }).where(eq(dataKeys.subject, subject)).run();
  destroyDataKey(tx, subject);
  return true;
}

/**
 * Moves what the last writes left in the WAL into the database file and empties the WAL, so the pages that held a
 * destroyed key live on nowhere in the live files. It does not wait for readers: a long read (Litestream holds one
 * all the time, a backup's snapshot for seconds) makes it return false, and the database is marked as waiting for an
 * emptied WAL: the server's periodic checkpoint retries (retryPendingTruncate) until one finds no reader, since a
 * PASSIVE checkpoint never empties the WAL and the old frames would otherwise stay until writes wrap round over them.
 * Litestream keeps the old frames in its own copy and replica anyway until its retention drops them; a database
 * restored from there is shredded again at start.
 */
export function checkpointTruncate(db: DB): boolean {
  const client = db.$client;
  const { timeout } = client.query("PRAGMA busy_timeout").get() as { timeout: number };
  client.run("PRAGMA busy_timeout = 0");
  try {
    const row = client.query("PRAGMA wal_checkpoint(TRUNCATE)").get() as { busy: number } | null;
    const emptied = row?.busy === 0;
    if (emptied) truncatePending.delete(client);
    else truncatePending.add(client);
    return emptied;
  } finally {
    client.run(`PRAGMA busy_timeout = ${Number(timeout)}`);
  }
}

// Per open database, in memory: a restart closes our connection, and the start's own shredding checkpoints again.
const truncatePending = new WeakSet<object>();

/** Whether an erasure (or a start's shredding) is still waiting for a TRUNCATE checkpoint that found no reader. */
export function truncatePendingFor(db: DB): boolean {
  return truncatePending.has(db.$client);
}

/**
 * For the periodic checkpoint: when an erasure's TRUNCATE was busy, tries it again (without waiting for readers).
 * Null when nothing waits, else whether the WAL is now empty. Emptying the WAL makes Litestream start a new
 * generation (a full snapshot to the replica): acceptable once after an erasure, and the reason this is not done on
 * every checkpoint.
 */
export function retryPendingTruncate(db: DB): boolean | null {
  return truncatePendingFor(db) ? checkpointTruncate(db) : null;
}

/**
 * At every start that may write: a database put in place by other means than `kabinet restore` (a Litestream
 * restore, a file copied back by hand) may hold keys of subjects erased since; destroy them before anything reads it.
 */
export function shredAtStart(inst: { db: DB; config: { dataDir: string }; log: Logger; vault: Vault }): number {
  const listed = readShreddedList(inst.config.dataDir);
  // The other way round: keys destroyed in this database but missing from the list (a list lost when the data moved
  // to a new machine) are put back on it, so that a restore of an older backup still finds them.
  const known = new Set(listed);
  const missing = inst.db
    .select({ subject: dataKeys.subject })
    .from(dataKeys)
    .where(isNull(dataKeys.wrapped))
    .all()
    .map((r) => r.subject)
    .filter((s) => SUBJECT.test(s) && !known.has(s));
  if (missing.length > 0) {
    appendShredded(inst.config.dataDir, ...missing);
    inst.log.warn("the list of erased clients (shredded-subjects) lacked some this database has erased; added them: keep a copy with the master key", { added: missing.length });
  }
  const destroyed = shredListed(inst.db, listed);
  if (destroyed > 0) {
    for (const subject of listed) inst.vault.forgetSubjectKey(subject);
    const emptied = checkpointTruncate(inst.db);
    inst.log.warn("destroyed data keys of erased clients that this database still held (it was restored from before their erasure)", {
      destroyed,
      walEmptied: emptied,
    });
  }
  return destroyed;
}
