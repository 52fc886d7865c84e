// The key hierarchy at run time (DESIGN.md decision 3).
//
// Protects: every personal value at rest. A KEK from outside the database wraps one data key (DEK) per data subject
// and three organisation keys: "org" (organisation data), "index" (blind indexes), "audit" (the audit chain's MAC).
// Invariants: a DEK is never stored unwrapped; a subject's DEK is created with the subject and destroyed on erasure,
// after which nothing sealed under it can be opened again, from the live database or from any backup.
// Threat: a copied database file, WAL or backup without the KEK reveals no personal value, and cannot be used to
// confirm a guessed email offline (the index key is itself wrapped).
import type { Queryable } from "../db/client.ts";
import { KEY_BYTES, randomBytes } from "../crypto/aead.ts";
import { blindIndex } from "../crypto/blind-index.ts";
import type { MasterKey } from "../crypto/master-key.ts";
import { fieldContext, openBytes, sealBytes } from "../crypto/seal.ts";
import { openFile, openFileChunks, sealFile } from "../crypto/sealed-file.ts";
import * as store from "./vault.store.ts";

export const ORG_SUBJECT = "org";
const INDEX_SUBJECT = "index";
const AUDIT_SUBJECT = "audit";
const SYSTEM_SUBJECTS = [ORG_SUBJECT, INDEX_SUBJECT, AUDIT_SUBJECT] as const;
const CACHE_LIMIT = 20_000;
const encoder = new TextEncoder();
// Not `fatal`: the GCM tag already proves the bytes are what TextEncoder produced, and fatal decoding costs ~0.4 µs.
const decoder = new TextDecoder();

export type VaultOpenResult = { ok: true; vault: Vault } | { ok: false; problem: string };

export class Vault {
  private readonly cache = new Map<string, Uint8Array>();

  private constructor(
    private readonly db: Queryable,
    private readonly current: MasterKey,
    private readonly keks: ReadonlyMap<string, MasterKey>,
  ) {}

  /**
   * Proves the KEKs right for this database without writing anything: every live data key must be wrapped by one of
   * them, and the system keys (org, index, audit) must unwrap. Run before migrations, so a wrong key changes nothing.
   * Returns null when they open it, or the problem in one line.
   */
  static check(db: Queryable, current: MasterKey, previous: readonly MasterKey[] = []): string | null {
    const keks = new Map([current, ...previous].map((k) => [k.id, k]));
    const missing = [...store.countLiveKeysByKek(db).keys()].filter((id) => !keks.has(id));
    if (missing.length > 0) {
      return (
        `this master key (id ${current.id}) does not open this database: its data keys are wrapped by key ` +
        `${missing.join(", ")}. Use the key the database was created with, or, after an unfinished rotation, give ` +
        `the old one as KABINET_PREVIOUS_MASTER_KEY_FILE: that start re-wraps the rest under the new key`
      );
    }
    const probe = new Vault(db, current, keks);
    for (const subject of SYSTEM_SUBJECTS) {
      const stored = store.getDataKey(db, subject);
      if (!stored) continue;
      if (!stored.wrapped || !probe.unwrap(subject, stored.kekId, stored.wrapped)) {
        return (
          `the "${subject}" data key in the database does not unwrap with master key ${stored.kekId}: the stored key ` +
          `is damaged. Restore the database from a backup (the data_keys table)`
        );
      }
    }
    return null;
  }

  /**
   * Opens the vault with the current KEK (first) and any previous ones still accepted during a rotation.
   * Refuses, before touching any data, when a live data key is wrapped by a KEK it was not given or a system key
   * does not unwrap; creates the system keys of a fresh database.
   */
  static open(db: Queryable, current: MasterKey, previous: readonly MasterKey[] = []): VaultOpenResult {
    const problem = Vault.check(db, current, previous);
    if (problem) return { ok: false, problem };
    const vault = new Vault(db, current, new Map([current, ...previous].map((k) => [k.id, k])));
    for (const subject of SYSTEM_SUBJECTS) {
      if (!store.getDataKey(db, subject)) vault.createSubjectKey(db, subject);
    }
    return { ok: true, vault };
  }

  /**
   * Whether the system keys still unwrap from the stored rows (not the cache): readiness asks this, because a
   * damaged row would fail every sign-in (index), organisation page (org) and audited change (audit).
   */
  systemKeysOpen(): boolean {
    return SYSTEM_SUBJECTS.every((subject) => {
      const stored = store.getDataKey(this.db, subject);
      return stored?.wrapped != null && this.unwrap(subject, stored.kekId, stored.wrapped) !== null;
    });
  }

  get currentKekId(): string {
    return this.current.id;
  }

  /** A fresh data key for a new subject, stored wrapped. Call inside the transaction that creates the subject. */
  createSubjectKey(tx: Queryable, subject: string): void {
    const dek = randomBytes(KEY_BYTES);
    store.insertDataKey(tx, subject, this.current.id, this.wrap(subject, dek));
    this.remember(subject, dek);
  }

  /** Crypto-shredding: the subject's key is gone, so is every value sealed under it. */
  destroySubjectKey(tx: Queryable, subject: string): void {
    store.destroyDataKey(tx, subject);
    this.cache.delete(subject);
  }

  /** Whether the subject's key was destroyed (erased): their sealed values are gone, which is not a fault. */
  isShredded(subject: string): boolean {
    if (this.cache.has(subject)) return false;
    const stored = store.getDataKey(this.db, subject);
    return stored !== null && stored.wrapped === null;
  }

  /** Drops the cached key of a subject whose stored key another transaction destroyed (privacy/erasure.ts). */
  forgetSubjectKey(subject: string): void {
    this.cache.delete(subject);
  }

  sealField(subject: string, table: string, column: string, rowId: string, value: string): Uint8Array {
    return sealBytes(this.dataKey(subject), encoder.encode(value), fieldContext(table, column, rowId));
  }

  /** Throws when the value was moved, altered or its subject erased: each is a fault, never a user error. */
  openField(subject: string, table: string, column: string, rowId: string, sealed: Uint8Array): string {
    const plain = openBytes(this.dataKey(subject), sealed, fieldContext(table, column, rowId));
    if (!plain) throw new SealedValueError(`${table}.${column} of row ${rowId} does not open`);
    return decoder.decode(plain);
  }

  /** A file's bytes sealed in chunks bound to the file id (see crypto/sealed-file.ts). */
  sealFile(subject: string, fileId: string, bytes: Uint8Array): Uint8Array {
    return sealFile(this.dataKey(subject), fileId, bytes);
  }

  openFile(subject: string, fileId: string, sealed: Uint8Array): Uint8Array {
    const plain = openFile(this.dataKey(subject), fileId, sealed);
    if (!plain) throw new SealedValueError(`file ${fileId} does not open`);
    return plain;
  }

  /** A file's plain bytes chunk by chunk, read from disk as they are opened (a data export streams them). */
  *openFileChunks(subject: string, fileId: string, size: number, read: (at: number, length: number) => Uint8Array): Generator<Uint8Array> {
    try {
      yield* openFileChunks(this.dataKey(subject), fileId, size, read);
    } catch (err) {
      throw err instanceof SealedValueError ? err : new SealedValueError(`file ${fileId} does not open`, { cause: err });
    }
  }

  blindIndex(column: string, value: string): Uint8Array {
    return blindIndex(this.dataKey(INDEX_SUBJECT), column, value);
  }

  auditKey(): Uint8Array {
    return this.dataKey(AUDIT_SUBJECT);
  }

  private dataKey(subject: string): Uint8Array {
    const cached = this.cache.get(subject);
    if (cached) return cached;
    const stored = store.getDataKey(this.db, subject);
    if (!stored?.wrapped) throw new SealedValueError(`no data key for subject ${subject}`);
    const dek = this.unwrap(subject, stored.kekId, stored.wrapped);
    if (!dek) throw new SealedValueError(`the data key of subject ${subject} does not unwrap`);
    this.remember(subject, dek);
    return dek;
  }

  private remember(subject: string, dek: Uint8Array): void {
    if (this.cache.size >= CACHE_LIMIT) this.cache.delete(this.cache.keys().next().value as string);
    this.cache.set(subject, dek);
  }

  private wrap(subject: string, dek: Uint8Array): Uint8Array {
    return sealBytes(this.current.key, dek, `dek/${subject}`);
  }

  private unwrap(subject: string, kekId: string, wrapped: Uint8Array): Uint8Array | null {
    const kek = this.keks.get(kekId);
    return kek ? openBytes(kek.key, wrapped, `dek/${subject}`) : null;
  }
}

export class SealedValueError extends Error {
  override readonly name = "SealedValueError";
}

/** Whether this database has a vault yet (false for a fresh file, before the first migration). */
export function hasVault(db: Queryable): boolean {
  return store.hasDataKeysTable(db);
}

/** How many live data keys are wrapped by the KEK with this id. */
export function countKeysUnder(db: Queryable, kekId: string): number {
  return store.countLiveKeysUnder(db, kekId);
}

export interface RotationProgress {
  rewrapped: number;
  remaining: number;
}

/**
 * Re-wraps every live data key under `next`, a batch per transaction, so an interrupted rotation resumes where it
 * stopped: keys already under `next` are skipped. The old KEKs must still be given until it completes.
 */
export function rotateMasterKey(
  db: Queryable,
  keks: readonly MasterKey[],
  next: MasterKey,
  options: { batchSize?: number; onBatch?: (p: RotationProgress) => void } = {},
): RotationProgress {
  const byId = new Map(keks.map((k) => [k.id, k]));
  const batchSize = options.batchSize ?? 200;
  let rewrapped = 0;
  for (;;) {
    const batch = store.listLiveKeysNotUnder(db, next.id, batchSize);
    if (batch.length === 0) break;
    db.transaction(
      (tx) => {
        for (const key of batch) {
          const kek = byId.get(key.kekId);
          const dek = kek && key.wrapped ? openBytes(kek.key, key.wrapped, `dek/${key.subject}`) : null;
          if (!dek) throw new SealedValueError(`data key ${key.subject} is wrapped by key ${key.kekId}, which was not given`);
          if (store.replaceWrapping(tx, key, next.id, sealBytes(next.key, dek, `dek/${key.subject}`))) rewrapped++;
        }
      },
      { behavior: "immediate" },
    );
    const remaining = [...store.countLiveKeysByKek(db)].reduce((n, [id, c]) => (id === next.id ? n : n + c), 0);
    options.onBatch?.({ rewrapped, remaining });
  }
  return { rewrapped, remaining: 0 };
}
