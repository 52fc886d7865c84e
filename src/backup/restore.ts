// Restoring a sealed backup, and the restore drill that proves the newest one restores.
//
// A restore first unpacks the WHOLE backup into a staging dir beside the data (same file system, so the final step
// is renames) and checks what it unpacked (integrity, master key, audit chain): a backup that is altered, cut short
// or sealed under another key changes nothing. Only then is the old database moved aside (never deleted) and the
// restored one put in its place.
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync } from "node:fs";
import { type FileHandle, open, rm } from "node:fs/promises";
import { join } from "node:path";
import { ConfigError, type Config, readSecretFile } from "../config.ts";
import { type MasterKey, parseMasterKey } from "../crypto/master-key.ts";
import { migrationState, openDatabase } from "../db/client.ts";
import { auditHeadFile, verifyAuditLog } from "../audit/audit-head.ts";
import { checkpointTruncate, readShreddedList, shreddedListPath, shredListed } from "../privacy/shredded-list.ts";
import { Vault } from "../vault/vault.ts";
import { BackupFileError, openBackupEntries, readBackupHeader, type BackupHeader } from "./archive.ts";
import { integrityCheck } from "./sqlite-worker.ts";

const ENTRY_NAME = /^(kabinet\.db|audit-head\.json|files\/[A-Za-z0-9_-]+)$/;

/** A backup that cannot be restored, or a restore refused; one line for people. */
export class RestoreError extends Error {
  override readonly name = "RestoreError";
}

export interface RestoredCheck {
  integrity: string;
  auditEntries: number;
  auditHead: string;
  rows: Record<string, number>;
  /** Data keys of erased subjects (this installation's shredded list) that the backup still held, destroyed again. */
  shredded: number;
}

/** The master keys the configuration names: the current one first, then KABINET_PREVIOUS_MASTER_KEY_FILE. */
export function configuredMasterKeys(config: Config): MasterKey[] {
  const devKey = join(config.dataDir, "master.key");
  const current = config.masterKeyFile ?? (existsSync(devKey) ? devKey : null);
  if (!current) throw new ConfigError("KABINET_MASTER_KEY_FILE", "is not set; a backup opens only with the master key it was made under");
  const keys = [readKey("KABINET_MASTER_KEY_FILE", current)];
  if (config.previousMasterKeyFile) keys.push(readKey("KABINET_PREVIOUS_MASTER_KEY_FILE", config.previousMasterKeyFile));
  return keys;
}

function readKey(variable: string, path: string): MasterKey {
  const parsed = parseMasterKey(readSecretFile(variable, path));
  if (!parsed.ok) throw new ConfigError(variable, `names ${path}, which ${parsed.problem}; it must hold 32 random bytes in base64`);
  return parsed.value;
}

/** The key among `keys` the backup was sealed under, or a RestoreError naming both. */
export async function keyForBackup(path: string, keys: readonly MasterKey[]): Promise<{ header: BackupHeader; key: MasterKey }> {
  const file = await openBackupFile(path);
  try {
    const { header } = await readBackupHeader(file).catch((err) => rethrow(path, err));
    const key = keys.find((k) => k.id === header.masterKeyId);
    if (!key) {
      throw new RestoreError(
        `${path} was sealed under master key ${header.masterKeyId}, but the configured key is ${keys.map((k) => k.id).join(" (previous: ") + (keys.length > 1 ? ")" : "")}: ` +
          `set KABINET_MASTER_KEY_FILE to the key with id ${header.masterKeyId} (or give it as KABINET_PREVIOUS_MASTER_KEY_FILE)`,
      );
    }
    return { header, key };
  } finally {
    await file.close();
  }
}

/** Unpacks the whole backup into `dest` (created; removed again on failure). */
export async function unpackBackup(path: string, key: MasterKey, dest: string): Promise<BackupHeader> {
  mkdirSync(join(dest, "files"), { recursive: true, mode: 0o700 });
  const file = await openBackupFile(path);
  let current: FileHandle | null = null;
  try {
    return await openBackupEntries(file, key, {
      async begin(name) {
        if (!ENTRY_NAME.test(name)) throw new BackupFileError(`it holds an unexpected entry (${name.slice(0, 80)})`);
        const out = await open(join(dest, name), "wx", 0o600);
        current = out;
        return async (piece) => {
          let at = 0;
          while (at < piece.length) at += (await out.write(piece, at, piece.length - at)).bytesWritten;
        };
      },
      async end() {
        await current?.sync();
        await current?.close();
        current = null;
      },
    });
  } catch (err) {
    // Assigned inside the sink's callbacks, which the compiler cannot follow.
    await (current as FileHandle | null)?.close().catch(() => {});
    await rm(dest, { recursive: true, force: true });
    return rethrow(path, err);
  } finally {
    await file.close();
  }
}

/**
 * Integrity, the keys, the audit chain (against the backup's own recorded head) and rows per table of an unpacked dir.
 * First destroys the data keys of the `shredded` subjects (read from the CURRENT installation, privacy/shredded-list.ts):
 * a backup made before an erasure still holds the erased client's wrapped key.
 */
export async function checkUnpacked(dir: string, keys: readonly MasterKey[], shredded: readonly string[]): Promise<RestoredCheck> {
  const dbPath = join(dir, "kabinet.db");
  if (!existsSync(dbPath)) throw new RestoreError("the backup holds no database");
  const integrity = await integrityCheck(dbPath);
  if (integrity !== "ok") throw new RestoreError(`the restored database fails PRAGMA integrity_check: ${integrity.slice(0, 200)}`);
  const db = openDatabase(dbPath);
  try {
    // An older schema is migrated at start; a newer one would be put in place and then refused by the server.
    const schema = migrationState(db);
    if (schema.kind === "newer") {
      throw new RestoreError(`the backup was made by a newer Kabinet (schema ${schema.applied}, this one knows ${schema.known}); install that version or newer to restore it`);
    }
    const opened = Vault.open(db, keys[0]!, keys.slice(1));
    if (!opened.ok) throw new RestoreError(`the restored database does not open: ${opened.problem}`);
    const destroyed = shredListed(db, shredded);
    if (destroyed > 0) checkpointTruncate(db);
    const audit = verifyAuditLog({ db, vault: opened.vault, headFile: auditHeadFile(dir) });
    if (!audit.ok) throw new RestoreError(`the restored audit log does not verify: ${audit.reason}`);
    return { integrity, auditEntries: audit.count, auditHead: audit.head, rows: rowCounts(db.$client), shredded: destroyed };
  } finally {
    db.$client.close();
  }
}

export function rowCounts(client: import("bun:sqlite").Database): Record<string, number> {
  const tables = client.query("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name").all() as { name: string }[];
  return Object.fromEntries(tables.map(({ name }) => [name, (client.query(`SELECT count(*) AS n FROM "${name.replaceAll('"', '""')}"`).get() as { n: number }).n]));
}

export interface RestoreResult {
  header: BackupHeader;
  check: RestoredCheck;
  /** Where the database that was there before is kept, if there was one. */
  keptAside: string | null;
  /** Whether the data dir had a shredded-subjects list to apply (none on a new machine unless the admin copied it in). */
  shreddedListFound: boolean;
}

/**
 * `kabinet restore`: the caller holds the data dir's lock. Refuses to replace an existing database without `force`;
 * with it, the old database (with its WAL), files and audit head are renamed to `*.before-restore-<stamp>`.
 */
export async function restoreInto(config: Config, path: string, options: { force: boolean; now: number }): Promise<RestoreResult> {
  const keys = configuredMasterKeys(config);
  const { key } = await keyForBackup(path, keys);
  const dataDir = config.dataDir;
  const dbPath = join(dataDir, "kabinet.db");
  if (existsSync(dbPath) && !options.force) {
    throw new RestoreError(
      `${dbPath} already holds a database: restore refuses to replace it. Add --force to restore anyway (the current database is kept aside as kabinet.db.before-restore-<time>)`,
    );
  }
  const staging = join(dataDir, `restore-${options.now}`);
  rmSync(staging, { recursive: true, force: true });
  const header = await unpackBackup(path, key, staging);
  let check: RestoredCheck;
  try {
    check = await checkUnpacked(staging, keys, readShreddedList(dataDir));
  } catch (err) {
    rmSync(staging, { recursive: true, force: true });
    throw err;
  }
  const stamp = new Date(options.now).toISOString().slice(0, 19).replaceAll(":", "-") + "Z";
  let keptAside: string | null = null;
  // Every rename done, so that a failure part way (a full directory, a file in the way) can be undone: a data dir
  // left without kabinet.db would start as a new installation with /setup open.
  const done: { from: string; to: string }[] = [];
  const move = (from: string, to: string) => {
    renameSync(from, to);
    done.push({ from, to });
  };
  try {
    for (const name of ["kabinet.db", "kabinet.db-wal", "kabinet.db-shm", "kabinet.db-journal", "files", "audit-head.json"]) {
      const existing = join(dataDir, name);
      if (!existsSync(existing)) continue;
      const aside = `${existing}.before-restore-${stamp}`;
      move(existing, aside);
      if (name === "kabinet.db") keptAside = aside;
    }
    for (const name of readdirSync(staging)) move(join(staging, name), join(dataDir, name));
  } catch (err) {
    const failed = err as NodeJS.ErrnoException;
    const undone: string[] = [];
    for (const { from, to } of done.reverse()) {
      try {
        renameSync(to, from);
      } catch {
        undone.push(`${to} (belongs at ${from})`);
      }
    }
    rmSync(staging, { recursive: true, force: true });
    const cause = `moving ${failed.path ?? "a file"} failed (${failed.code ?? failed.message})`;
    if (undone.length > 0) throw new RestoreError(`${cause} and could not all be undone: move back by hand ${undone.join(", ")}`);
    throw new RestoreError(`${cause}; the data dir is as it was before the restore. Fix the cause and restore again`);
  }
  rmSync(staging, { recursive: true, force: true });
  return { header, check, keptAside, shreddedListFound: existsSync(shreddedListPath(dataDir)) };
}

async function openBackupFile(path: string) {
  try {
    return await open(path, "r");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new RestoreError(code === "ENOENT" ? `${path} does not exist` : `${path} cannot be read (${code})`);
  }
}

function rethrow(path: string, err: unknown): never {
  if (err instanceof BackupFileError) throw new RestoreError(`${path} does not open: ${err.message}. Nothing was changed`);
  throw err;
}
