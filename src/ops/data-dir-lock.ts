// One holder of a data dir for what must not overlap: a running server and a master key rotation (a running server
// cannot open data keys re-wrapped under a key it does not hold, and would wrap the keys it creates under the old
// one), or two servers on one database. The lock is SQLite's own file lock on `kabinet.lock` in the data dir: the
// kernel drops it when the process ends, however it ends, and it holds across containers sharing the volume.
import { Database } from "bun:sqlite";
import { join } from "node:path";

export interface DataDirLock {
  release(): void;
}

// A handle the garbage collector finalises closes its file and drops the lock: keep every held one reachable.
const held = new Set<Database>();

/** Takes the data dir's lock for as long as the process runs (or until released); null when another process holds it. */
export function lockDataDir(dataDir: string): DataDirLock | null {
  const db = new Database(join(dataDir, "kabinet.lock"), { create: true, strict: true });
  try {
    db.run("PRAGMA busy_timeout = 0");
    db.run("CREATE TABLE IF NOT EXISTS held (since INTEGER)");
    db.run("BEGIN EXCLUSIVE");
  } catch (err) {
    db.close();
    if ((err as { code?: string }).code?.startsWith("SQLITE_BUSY")) return null;
    throw err;
  }
  held.add(db);
  return {
    release() {
      if (!held.delete(db)) return;
      db.run("ROLLBACK");
      db.close();
    },
  };
}
