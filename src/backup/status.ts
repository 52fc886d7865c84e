// What the backup machinery last did, kept in a small JSON file beside the backups rather than in the database: a
// restore replaces the database, and the record of backups must survive it. Read by metrics, the admin page and
// `kabinet doctor`; written only by src/backup/. Holds no personal data: times, sizes, file names and outcomes.
import { randomBytes } from "node:crypto";
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export interface BackupRun {
  /** When it finished (ms since the epoch). */
  at: number;
  /** The backup file's name inside the backup dir. */
  file: string;
  bytes: number;
  ms: number;
}

export interface DrillRun {
  at: number;
  ok: boolean;
  /** The backup file that was restored. */
  file: string;
  ms: number;
  /** Rows per table of the restored copy, on success. */
  rows: Record<string, number>;
  /** Why it failed, one line for an admin; null on success. */
  problem: string | null;
}

export interface BackupStatus {
  lastBackup: BackupRun | null;
  lastBackupFailure: { at: number; problem: string } | null;
  /** The last successful copy off the box (SFTP). */
  lastOffsite: BackupRun | null;
  lastOffsiteFailure: { at: number; problem: string } | null;
  lastDrill: DrillRun | null;
}

export const NO_BACKUP_STATUS: BackupStatus = Object.freeze({
  lastBackup: null,
  lastBackupFailure: null,
  lastOffsite: null,
  lastOffsiteFailure: null,
  lastDrill: null,
});

export function backupStatusFile(backupDir: string): string {
  return join(backupDir, "status.json");
}

/** The recorded status; none recorded (or unreadable) reads as nothing done yet. */
export function readBackupStatus(backupDir: string): BackupStatus {
  try {
    const parsed = JSON.parse(readFileSync(backupStatusFile(backupDir), "utf8")) as Partial<BackupStatus>;
    return { ...NO_BACKUP_STATUS, ...parsed };
  } catch {
    return NO_BACKUP_STATUS;
  }
}

/** Merges `change` into the recorded status; written to a temporary file and renamed, so a crash leaves the old one. */
export function updateBackupStatus(backupDir: string, change: Partial<BackupStatus>): BackupStatus {
  const next = { ...readBackupStatus(backupDir), ...change };
  mkdirSync(backupDir, { recursive: true, mode: 0o700 });
  const path = backupStatusFile(backupDir);
  // Unique per writer: the server and a `kabinet backup` process may write at once, and a shared temporary name
  // would let one rename the other's half-written file.
  const tmp = `${path}.${process.pid}-${randomBytes(6).toString("hex")}.tmp`;
  writeFileSync(tmp, JSON.stringify(next, null, 2), { mode: 0o600 });
  renameSync(tmp, path);
  return next;
}
