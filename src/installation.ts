// Opening an installation: data directory, master key, database (migrated), vault. Shared by every CLI command.
// Each failure is a StartupError with one line for the admin; nothing is written before the key is proven right.
import { existsSync, mkdirSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type Clock, systemClock } from "./clock.ts";
import { type Config, ConfigError, readSecretFile } from "./config.ts";
import { type DB, migrate, NewerDatabaseError, openDatabase } from "./db/client.ts";
import { generateMasterKeyText, type MasterKey, parseMasterKey } from "./crypto/master-key.ts";
import type { Logger } from "./log.ts";
import { type Mailer, smtpMailer } from "./mail/mailer.ts";
import { AuditHeadTracker, auditHeadFile } from "./audit/audit-head.ts";
import { recordAudit, restoreAppendOnlyTriggers } from "./audit/audit.ts";
import { type DataDirLock, lockDataDir } from "./ops/data-dir-lock.ts";
import { explainFailure } from "./ops/failures.ts";
import { shredAtStart } from "./privacy/shredded-list.ts";
import { countKeysUnder, hasVault, rotateMasterKey, Vault } from "./vault/vault.ts";

export interface Installation {
  config: Config;
  db: DB;
  vault: Vault;
  log: Logger;
  /** The master keys this installation was opened with, the current one first. */
  masterKeys: readonly MasterKey[];
  /** How many migrations this opening applied. */
  migrationsApplied: number;
  /** The organisation's SMTP server (configured or not). */
  mailer: Mailer;
  /** Where "now" comes from: the system clock, or a test's. */
  clock: Clock;
  /** The audit log's last verified head, for incremental checks and the recorded head file. */
  auditHead: AuditHeadTracker;
}

export class StartupError extends Error {
  override readonly name = "StartupError";
}

export interface OpenOptions {
  /** `serve --dev` (npm start): generate a master key in the data dir when none is configured. */
  generateDevKey?: boolean;
  /** Further master keys to accept, e.g. the new key while `keys rotate` resumes. */
  alsoAccept?: readonly MasterKey[];
  /** Apply pending migrations (default true); false leaves the schema alone and fails if it is behind. */
  migrate?: boolean;
  /** "inspect" (`audit verify`) changes nothing: no repairs, no rotation, no head recorded. Default "run". */
  purpose?: "run" | "inspect";
  /** The clock (default: the system's); tests pass one they can set. */
  clock?: Clock;
  /** Hold the data dir for the rest of the process: no second server, no key rotation beside a server. */
  holdDataDirFor?: "server" | "key rotation";
}

export function openInstallation(config: Config, log: Logger, options: OpenOptions = {}): Installation {
  ensureDataDir(config.dataDir);
  if (options.holdDataDirFor) holdDataDir(config.dataDir, options.holdDataDirFor);
  const current = loadMasterKey(config, log, options.generateDevKey ?? false);
  const previous = config.previousMasterKeyFile
    ? [readMasterKey("KABINET_PREVIOUS_MASTER_KEY_FILE", config.previousMasterKeyFile)]
    : [];
  const accepted = [...previous, ...(options.alsoAccept ?? [])];
  const clock = options.clock ?? systemClock;
  const dbPath = join(config.dataDir, "kabinet.db");
  let db: DB | null = null;
  try {
    db = openDatabase(dbPath);
    // The key is proven against the data keys already there before a migration writes anything.
    if (hasVault(db)) {
      const problem = Vault.check(db, current, accepted);
      if (problem) throw new StartupError(`KABINET_MASTER_KEY_FILE: ${problem}`);
    }
    const migrationsApplied = (options.migrate ?? true) ? migrate(db) : 0;
    if (migrationsApplied > 0) log.info("database migrated", { migrations: migrationsApplied });
    const opened = Vault.open(db, current, accepted);
    if (!opened.ok) throw new StartupError(`KABINET_MASTER_KEY_FILE: ${opened.problem}`);
    const inst: Installation = {
      config,
      db,
      vault: opened.vault,
      log,
      masterKeys: [current, ...previous],
      migrationsApplied,
      mailer: smtpMailer(config),
      clock,
      auditHead: new AuditHeadTracker({ db, vault: opened.vault, headFile: auditHeadFile(config.dataDir) }),
    };
    if ((options.purpose ?? "run") === "run") repairAtStart(inst, { previous, holder: options.holdDataDirFor ?? null });
    return inst;
  } catch (err) {
    db?.$client.close();
    if (err instanceof NewerDatabaseError) throw new StartupError(err.message);
    const explained = explainFailure(err, config.dataDir);
    if (explained) throw new StartupError(explained);
    throw err;
  }
}

/**
 * What a start that may write puts right: the audit log's append-only triggers (re-created, loudly, if someone
 * removed them), data keys still under a previous master key (re-wrapped under the current one, which finishes an
 * interrupted rotation; only while holding the data dir, as a server still running on the old key could not open
 * them), and the recorded audit head.
 */
function repairAtStart(inst: Installation, at: { previous: readonly MasterKey[]; holder: "server" | "key rotation" | null }): void {
  const { db, log, vault } = inst;
  shredAtStart(inst); // first: nothing below may read or re-wrap an erased client's key
  const triggers = db.transaction((tx) => restoreAppendOnlyTriggers(tx, vault), { behavior: "immediate" });
  if (triggers.length > 0) {
    log.error("the audit log's append-only triggers were missing or altered; re-created them: find out who removed them", { triggers: triggers.join(",") });
  }
  const current = inst.masterKeys[0]!;
  if (at.holder !== null && at.previous.some((k) => countKeysUnder(db, k.id) > 0)) {
    const { rewrapped } = rotateMasterKey(db, inst.masterKeys, current);
    db.transaction((tx) => recordAudit(tx, vault, { actor: "system", action: "keys.rotate", details: { newKeyId: current.id, rewrapped } }), { behavior: "immediate" });
    log.info("finished the master key rotation: data keys left under the previous key are re-wrapped", { rewrapped, keyId: current.id });
  }
  if (!inst.auditHead.hasRecordedHead) {
    const result = inst.auditHead.checkAndRecord(inst.clock.now());
    if (!result.ok) log.error("the audit log does not verify: run `kabinet audit verify`", { entries: result.count });
    else if (result.count > 0) log.warn("the audit log had no recorded head (audit-head.json); recorded the current one", { entries: result.count });
  }
}

function holdDataDir(dir: string, holder: "server" | "key rotation"): void {
  let lock: DataDirLock | null;
  try {
    lock = lockDataDir(dir);
  } catch (err) {
    throw new StartupError(explainFailure(err, dir) ?? `KABINET_DATA_DIR ${dir}: cannot create kabinet.lock (${(err as Error).message})`);
  }
  if (lock) return;
  throw new StartupError(
    holder === "server"
      ? `KABINET_DATA_DIR ${dir} is in use by another Kabinet server or a key rotation: stop that first (two servers on one database would split its users)`
      : `a Kabinet server is running on KABINET_DATA_DIR ${dir}: stop it first (docker compose stop kabinet), rotate, then start it on the new key. ` +
          "A running server could not open data keys re-wrapped under a key it does not hold",
  );
}

function ensureDataDir(dir: string): void {
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code;
    throw new ConfigError("KABINET_DATA_DIR", `names ${dir}, which cannot be created: ${explainFailure(cause, dir) ?? code}`);
  }
}

function loadMasterKey(config: Config, log: Logger, generateDevKey: boolean): MasterKey {
  if (config.masterKeyFile) return readMasterKey("KABINET_MASTER_KEY_FILE", config.masterKeyFile, log);
  if (!generateDevKey) {
    throw new ConfigError("KABINET_MASTER_KEY_FILE", "is not set; create a key with `openssl rand -base64 32 > master.key`");
  }
  const path = join(config.dataDir, "master.key");
  if (!existsSync(path)) {
    writeFileSync(path, `${generateMasterKeyText()}\n`, { mode: 0o600, flag: "wx" });
    log.warn(
      "DEVELOPMENT MASTER KEY GENERATED beside the data. Anyone who copies the data dir can read everything. " +
        "Production keeps the key elsewhere: set KABINET_MASTER_KEY_FILE (see README, Production install).",
      { path },
    );
  } else {
    log.warn("using the development master key in the data dir; production sets KABINET_MASTER_KEY_FILE", { path });
  }
  return readMasterKey("KABINET_MASTER_KEY_FILE", path);
}

function readMasterKey(variable: string, path: string, log?: Logger): MasterKey {
  const parsed = parseMasterKey(readSecretFile(variable, path));
  if (!parsed.ok) {
    throw new ConfigError(variable, `names ${path}, which ${parsed.problem}; it must hold 32 random bytes in base64`);
  }
  if (log && (statSync(path).mode & 0o077) !== 0) {
    log.warn("the master key file can be read by other users: chmod 600 it", { variable });
  }
  return parsed.value;
}
