// Whether the appliance can do its job right now, for /readyz: the database is open and current, the vault's system
// keys still unwrap (else every sign-in and audited change fails), the data disk has room, and a real committed
// write succeeds. A write that only begins and rolls back proves nothing, and in WAL mode even a tiny committed write
// can succeed on a full disk by reusing WAL space, so free space is read from the file system too. Probed at most
// every few seconds; the answer between probes is the last one. Reasons name the failing part, never a secret.
import type { Clock } from "../clock.ts";
import { type DB, migrationState } from "../db/client.ts";
import type { Vault } from "../vault/vault.ts";
import { freeBytes } from "./failures.ts";

const PROBE_EVERY_MS = 5_000;
/** Below this, SQLite cannot be trusted to grow its WAL or a page, and a backup cannot be written. */
const MIN_FREE_BYTES = 1024 * 1024;

export interface ReadinessDeps {
  db: DB;
  vault: Vault;
  clock: Clock;
  config: { dataDir: string };
}

export class Readiness {
  private last: { at: number; problem: string | null } | null = null;

  constructor(private readonly deps: ReadinessDeps) {}

  /** null when ready, else a short reason. */
  problem(): string | null {
    const now = this.deps.clock.now();
    if (this.last && now - this.last.at < PROBE_EVERY_MS && now >= this.last.at) return this.last.problem;
    const problem = this.probe();
    this.last = { at: now, problem };
    return problem;
  }

  private probe(): string | null {
    const { db, vault, config } = this.deps;
    try {
      db.$client.query("SELECT 1").get();
    } catch {
      return "database is not open";
    }
    try {
      const state = migrationState(db);
      if (state.kind !== "current") return `database schema is ${state.kind}`;
      if (!vault.systemKeysOpen()) return "a system data key does not unwrap: restore the data_keys table from a backup";
    } catch (err) {
      return `the database cannot be read (${(err as { code?: string }).code ?? "error"})`;
    }
    const free = freeBytes(config.dataDir);
    if (free !== null && free < MIN_FREE_BYTES) return "the data disk is full";
    try {
      const { user_version } = db.$client.query("PRAGMA user_version").get() as { user_version: number };
      db.$client.run(`PRAGMA user_version = ${Number(user_version)}`); // a committed write of one page, value unchanged
    } catch (err) {
      return `the database cannot be written (${(err as { code?: string }).code ?? "error"})`;
    }
    return null;
  }
}

