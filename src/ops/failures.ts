// Failures a person can cause or meet while starting Kabinet or running a command (full disk, read-only or foreign
// data dir, damaged database file, a port in use), each turned into one line that names the cause and the fix.
// Anything not recognised here is a bug and keeps its stack trace.
import { accessSync, constants, statfsSync } from "node:fs";
import { join } from "node:path";

type Explain = (where: { dataDir: string; db: string; uid: string }) => string;

const owner = (w: { dataDir: string; uid: string }) =>
  `make KABINET_DATA_DIR ${w.dataDir} and the files in it writable by the user Kabinet runs as (uid ${w.uid}), e.g. chown -R ${w.uid} ${w.dataDir}`;

const FULL: Explain = (w) => `the disk holding ${w.dataDir} is full: free space there (old backups, logs) and start again; nothing was written`;
const READ_ONLY: Explain = (w) => `${w.db} cannot be written (read-only file system or file): mount ${w.dataDir} read-write and ${owner(w)}`;
const DENIED: Explain = (w) => `permission denied on ${w.db} or its directory: ${owner(w)}`;
const NOT_A_DATABASE: Explain = (w) =>
  `${w.db} is damaged or is not a Kabinet database ("file is not a database"): restore it from a backup`;
const IO: Explain = (w) => `reading or writing ${w.db} failed with an I/O error: check the disk (dmesg, SMART), then restore from a backup if it is failing`;
const BUSY: Explain = (w) => `${w.db} stayed locked by another process for 5 seconds: stop the other Kabinet or sqlite3 using it and try again`;

const BY_CODE: Readonly<Record<string, Explain>> = {
  SQLITE_FULL: FULL,
  ENOSPC: FULL,
  EDQUOT: FULL,
  SQLITE_READONLY: READ_ONLY,
  EROFS: READ_ONLY,
  SQLITE_CANTOPEN: DENIED,
  SQLITE_PERM: DENIED,
  SQLITE_AUTH: DENIED,
  EACCES: DENIED,
  EPERM: DENIED,
  SQLITE_NOTADB: NOT_A_DATABASE,
  SQLITE_CORRUPT: NOT_A_DATABASE,
  SQLITE_IOERR: IO,
  EIO: IO,
  SQLITE_BUSY: BUSY,
  SQLITE_LOCKED: BUSY,
};

/** One line for a failure a person can fix, or null when it is not one of those. */
export function explainFailure(err: unknown, dataDir: string): string | null {
  const found = recognise(err, dataDir);
  if (!found) return null;
  const uid = typeof process.getuid === "function" ? String(process.getuid()) : "of the service";
  return `${found.explain({ dataDir, db: join(dataDir, "kabinet.db"), uid })} (${found.code})`;
}

const FULL_WHILE_RUNNING: Explain = (w) =>
  `the disk holding ${w.dataDir} is full: free space there (old backups, logs); writes work again as soon as there is room, no restart needed`;

/**
 * For a running server: one line when `err` (or an error it wraps) is the data disk being full, else null. Such a
 * request is refused with 503 and Retry-After, not reported as a bug: nothing was written (SQLite rolled back).
 */
export function explainStorageFull(err: unknown, dataDir: string): string | null {
  const found = recognise(err, dataDir);
  if (found?.explain !== FULL) return null;
  return `${FULL_WHILE_RUNNING({ dataDir, db: join(dataDir, "kabinet.db"), uid: "" })} (${found.code})`;
}

function recognise(err: unknown, dataDir: string): { explain: Explain; code: string } | null {
  // drizzle wraps the driver's error (DrizzleQueryError): the code is on a cause a few levels down.
  for (let e = err, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code !== "string") continue;
    // Extended SQLite codes (SQLITE_IOERR_WRITE, SQLITE_READONLY_DBMOVED, SQLITE_CORRUPT_VTAB …) share their base's cause.
    const base = code.startsWith("SQLITE_") ? code.split("_").slice(0, 2).join("_") : code;
    const explain = BY_CODE[base] === IO && diskIsFull(dataDir) ? FULL : BY_CODE[base] === DENIED && dirIsReadOnly(dataDir) ? READ_ONLY : BY_CODE[base];
    if (explain) return { explain, code };
  }
  return null;
}

// SQLite reports a full disk as an I/O error when the WAL index (-shm) cannot grow, and a read-only mount as "cannot
// open" when it cannot create the -wal file: the file system itself tells which it was.
function diskIsFull(dir: string): boolean {
  return (freeBytes(dir) ?? Number.POSITIVE_INFINITY) < 64 * 1024;
}

/** Bytes an unprivileged writer may still use on the file system holding `dir`; null when that cannot be read. */
export function freeBytes(dir: string): number | null {
  try {
    const fs = statfsSync(dir);
    return fs.bavail * fs.bsize;
  } catch {
    return null;
  }
}

function dirIsReadOnly(dir: string): boolean {
  try {
    accessSync(dir, constants.W_OK);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EROFS";
  }
}

/** One line for a listening socket that cannot be opened. */
export function explainListenFailure(err: unknown, address: string): string | null {
  const code = (err as { code?: unknown } | null)?.code;
  if (code === "EADDRINUSE") return `KABINET_LISTEN ${address} is already in use by another process: stop it, or choose another port`;
  if (code === "EACCES") return `KABINET_LISTEN ${address} may not be opened by this user: use a port above 1023 (Caddy serves 80/443)`;
  if (code === "EADDRNOTAVAIL") return `KABINET_LISTEN ${address} is not an address of this host: use 0.0.0.0 or one of its addresses`;
  return null;
}
