// Making a sealed backup (DESIGN.md decision 8): a consistent snapshot of the database taken while the server keeps
// running, the sealed room files and the audit head, in one sealed file (archive.ts) in the backup dir; then the
// retention rule, the copy off the box, the status record and the audit entry.
//
// Order matters for consistency: the audit head is read first (a recorded head only names entries already committed,
// so the snapshot taken after it holds them all); the snapshot second; the files last (a file is written before its
// row commits, so every file a snapshot row names exists by then; one deleted since the snapshot is skipped).
import { closeSync, existsSync, fsyncSync, openSync, readdirSync, rmSync, statSync, statfsSync } from "node:fs";
import { open, readFile, rename, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import type { Clock } from "../clock.ts";
import type { Config } from "../config.ts";
import type { MasterKey } from "../crypto/master-key.ts";
import type { Queryable } from "../db/client.ts";
import type { Logger } from "../log.ts";
import { recordAudit } from "../audit/audit.ts";
import type { Vault } from "../vault/vault.ts";
import { BackupWriter, newBackupHeader } from "./archive.ts";
import { backupName, backupsToDelete, backupTime } from "./retention.ts";
import { copyOffsite, type OffsiteLimits } from "./sftp.ts";
import { snapshotDatabase } from "./sqlite-worker.ts";
import { type BackupRun, updateBackupStatus } from "./status.ts";

export interface BackupDeps {
  config: Config;
  db: Queryable;
  vault: Vault;
  masterKeys: readonly MasterKey[];
  clock: Clock;
  log: Logger;
  /** The copy off the box's deadline and keepalive (tests shorten them). */
  offsiteLimits?: OffsiteLimits;
}

export type BackupOutcome =
  | { ok: true; run: BackupRun; deleted: string[]; offsite: { ok: true } | { ok: false; problem: string } | null }
  | { ok: false; problem: string };

const READ_PIECE = 1024 * 1024;

/** The backup files in the backup dir, newest first. */
export function listBackups(backupDir: string): { name: string; at: number; bytes: number }[] {
  let names: string[];
  try {
    names = readdirSync(backupDir);
  } catch {
    return [];
  }
  return names
    .map((name) => ({ name, at: backupTime(name) }))
    .filter((b): b is { name: string; at: number } => b.at !== null)
    .map((b) => ({ ...b, bytes: statSync(join(backupDir, b.name)).size }))
    .sort((a, b) => b.at - a.at);
}

// One backup at a time per backup dir in this process (the schedule, the admin page's button and a drill share it).
// The copy off the box is not part of it: a slow or stalled SFTP server must not hold up the next local backup.
const running = new Map<string, Promise<LocalOutcome>>();
// Copies off the box under way per backup dir, one after the other (retention on the remote dir must not race).
const copying = new Map<string, { file: string; copy: Promise<OffsiteOutcome>; done: Promise<unknown>; stop: AbortController }>();

type OffsiteOutcome = { ok: true } | { ok: false; problem: string };

type LocalOutcome = { ok: true; run: BackupRun; deleted: string[] } | { ok: false; problem: string };

/**
 * Makes a backup now, or joins the one already running, then copies it off the box if configured (resolving once the
 * copy is done or given up). `actor`: "system", "cli" or a person's id (audited).
 */
export async function createBackup(deps: BackupDeps, actor: string): Promise<BackupOutcome> {
  const dir = deps.config.backup.dir;
  let local = running.get(dir);
  if (!local) {
    local = makeBackup(deps, actor).finally(() => running.delete(dir));
    running.set(dir, local);
  }
  const outcome = await local;
  if (!outcome.ok) return outcome;
  return { ...outcome, offsite: deps.config.backup.sftp ? await copyBackupOffsite(deps, outcome.run) : null };
}

/** Gives up the copies off the box under way for `backupDir` (the server is stopping); each records its failure. */
export function abortOffsiteCopies(backupDir: string): void {
  copying.get(backupDir)?.stop.abort();
}

function copyBackupOffsite(deps: BackupDeps, run: BackupRun): Promise<OffsiteOutcome> {
  const { config, clock, log } = deps;
  const dir = config.backup.dir;
  const previous = copying.get(dir);
  // A caller that joined the backup joins its copy too, rather than sending the same file again.
  if (previous?.file === run.file) return previous.copy;
  const stop = previous?.stop ?? new AbortController();
  const copy = (async (): Promise<OffsiteOutcome> => {
    await previous?.done;
    const offsite = await copyOffsite(config.backup.sftp!, join(dir, run.file), config.backup.keep, { limits: deps.offsiteLimits, signal: stop.signal });
    if (!offsite.ok) log.error("the backup's copy off the box failed", { problem: offsite.problem });
    try {
      updateBackupStatus(dir, offsite.ok ? { lastOffsite: { ...run, at: clock.now() } } : { lastOffsiteFailure: { at: clock.now(), problem: offsite.problem } });
    } catch (err) {
      log.error("the copy off the box's outcome could not be recorded in status.json", { problem: describe(err) });
    }
    return offsite;
  })();
  const entry = { file: run.file, copy, done: copy.catch(() => {}), stop };
  copying.set(dir, entry);
  void entry.done.then(() => {
    if (copying.get(dir) === entry) copying.delete(dir);
  });
  return copy;
}

export function backupRunning(backupDir: string): boolean {
  return running.has(backupDir);
}

async function makeBackup(deps: BackupDeps, actor: string): Promise<LocalOutcome> {
  const { config, clock, log } = deps;
  const dir = config.backup.dir;
  const began = performance.now();
  const createdAt = clock.now();
  let name = backupName(createdAt);
  for (let n = 1; existsSync(join(dir, name)); n++) name = backupName(createdAt, n);
  const part = join(dir, `${name}.part`);
  // The snapshot goes to the backup dir, not the data dir: it needs the database's size free, and on the data disk
  // that space is what live writes need (a half-full data disk would fill up every night).
  const snapshot = join(dir, `${SNAPSHOT_PREFIX}${process.pid}-${createdAt}.db`);
  let madePart = false;
  try {
    await mkdirPrivate(dir);
    removeStale(dir, (n) => n.startsWith(SNAPSHOT_PREFIX), createdAt);
    removeStale(config.dataDir, (n) => n.startsWith(SNAPSHOT_PREFIX), createdAt); // left there by older versions
    checkBackupSpace(config);
    const auditHead = await readFile(join(config.dataDir, "audit-head.json")).catch(() => null);
    await snapshotDatabase(join(config.dataDir, "kabinet.db"), snapshot);
    const file = await open(part, "wx", 0o600);
    madePart = true;
    let writer: BackupWriter;
    try {
      writer = new BackupWriter(file, deps.masterKeys[0]!, newBackupHeader(deps.masterKeys[0]!, createdAt));
      await addFile(writer, "kabinet.db", snapshot);
      if (auditHead) await writer.add("audit-head.json", auditHead.length, [auditHead]);
      const filesDir = join(config.dataDir, "files");
      for (const id of existsSync(filesDir) ? readdirSync(filesDir).sort() : []) {
        if (!/^[A-Za-z0-9_-]+$/.test(id)) continue;
        await addFile(writer, `files/${id}`, join(filesDir, id)).catch((err: NodeJS.ErrnoException) => {
          if (err.code !== "ENOENT") throw err; // deleted since the snapshot: no row of it to restore
        });
      }
      await writer.finish();
      await file.sync();
    } finally {
      await file.close();
    }
    await rename(part, join(dir, name));
    syncDir(dir);
    const run: BackupRun = { at: clock.now(), file: name, bytes: (await stat(join(dir, name))).size, ms: Math.round(performance.now() - began) };
    const deleted = applyRetention(dir, config.backup.keep, clock.now());
    updateBackupStatus(dir, { lastBackup: run });
    deps.db.transaction((tx) => recordAudit(tx, deps.vault, { actor, action: "backup.create", at: run.at, details: { file: name, bytes: run.bytes } }), {
      behavior: "immediate",
    });
    log.info("backup made", { file: name, bytes: run.bytes, ms: run.ms, deleted: deleted.length });
    return { ok: true, run, deleted };
  } catch (err) {
    const problem = describe(err);
    // Only our own: a .part that existed already (open "wx" failed) is another process's backup under way.
    if (madePart) await rm(part, { force: true }).catch(() => {});
    log.error("backup failed", { problem });
    try {
      updateBackupStatus(dir, { lastBackupFailure: { at: clock.now(), problem } });
    } catch (cause) {
      log.error("the backup's failure could not be recorded in status.json", { problem: describe(cause) });
    }
    return { ok: false, problem };
  } finally {
    await rm(snapshot, { force: true });
    await rm(`${snapshot}-journal`, { force: true });
  }
}

const SNAPSHOT_PREFIX = "backup-snapshot-";
/** Beyond the snapshot and the backup file, so a backup never takes the backup disk's last megabytes. */
const SPACE_MARGIN_BYTES = 64 * 1024 * 1024;

/** A backup needs the snapshot (the database's size) and the backup file (database and room files) at once. */
export function backupSpaceNeeded(dataDir: string): number {
  const size = (path: string) => {
    try {
      return statSync(path).size;
    } catch {
      return 0;
    }
  };
  const db = size(join(dataDir, "kabinet.db")) + size(join(dataDir, "kabinet.db-wal"));
  const filesDir = join(dataDir, "files");
  let files = 0;
  for (const id of existsSync(filesDir) ? readdirSync(filesDir) : []) files += size(join(filesDir, id));
  return 2 * db + files + SPACE_MARGIN_BYTES;
}

function checkBackupSpace(config: Config): void {
  const needed = backupSpaceNeeded(config.dataDir);
  const fs = statfsSync(config.backup.dir);
  const free = fs.bavail * fs.bsize;
  if (free < needed) {
    throw new Error(
      `the backup dir's disk has ${formatBytes(free)} free, a backup needs about ${formatBytes(needed)} (twice the database, the room files and a margin): free space or point KABINET_BACKUP_DIR at a larger disk`,
    );
  }
}

async function addFile(writer: BackupWriter, name: string, path: string): Promise<void> {
  const file = await open(path, "r");
  try {
    const size = (await file.stat()).size;
    await writer.add(name, size, pieces(file, size));
  } finally {
    await file.close();
  }
}

async function* pieces(file: import("node:fs/promises").FileHandle, size: number): AsyncGenerator<Uint8Array> {
  const buffer = new Uint8Array(READ_PIECE);
  let at = 0;
  while (at < size) {
    const { bytesRead } = await file.read(buffer, 0, Math.min(READ_PIECE, size - at), at);
    if (bytesRead === 0) break;
    at += bytesRead;
    yield buffer.subarray(0, bytesRead);
  }
}

/**
 * Deletes what the retention rule lets go, and `.part` and status temporary files a crashed process left more than a
 * day ago (a younger one may be another process's under way); the backup names deleted.
 */
export function applyRetention(dir: string, keep: Config["backup"]["keep"], now: number): string[] {
  const names = readdirSync(dir);
  const doomed = backupsToDelete(names, keep);
  for (const name of doomed) rmSync(join(dir, name), { force: true });
  removeStale(dir, (n) => n.endsWith(".kbk.part"), now);
  removeStale(dir, (n) => n.startsWith("status.json.") && n.endsWith(".tmp"), now); // a writer that died mid-write
  return doomed;
}

/** Removes what a crashed backup or drill left in `dir` (files or dirs matching) more than a day before `now`. */
export function removeStale(dir: string, match: (name: string) => boolean, now: number): void {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  for (const name of names.filter(match)) {
    const path = join(dir, name);
    if (now - statSync(path).mtimeMs > 86_400_000) rmSync(path, { recursive: true, force: true });
  }
}

export async function mkdirPrivate(dir: string): Promise<void> {
  const { mkdir } = await import("node:fs/promises");
  await mkdir(dir, { recursive: true, mode: 0o700 });
}

/** A rename is durable only once its directory is synced. */
export function syncDir(dir: string): void {
  const fd = openSync(dir, "r");
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** One line for an admin: what failed, with the system's code where there is one. */
export function describe(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  if (e?.code === "ENOSPC") return "the backup dir's disk is full: free space or point KABINET_BACKUP_DIR at a larger disk";
  if (e?.code === "EACCES" || e?.code === "EPERM") return `permission denied (${e.path ?? "backup dir"}): make it writable by the user Kabinet runs as`;
  return String(e?.message ?? err).split("\n")[0]!.slice(0, 300);
}

/** A size as people read it: 3.1 MiB. */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 ** 2) return `${(n / 1024).toFixed(1)} KiB`;
  if (n < 1024 ** 3) return `${(n / 1024 ** 2).toFixed(1)} MiB`;
  return `${(n / 1024 ** 3).toFixed(2)} GiB`;
}
