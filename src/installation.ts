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
import { Vault } from "./vault/vault.ts";

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
  /** The clock (default: the system's); tests pass one they can set. */
  clock?: Clock;
}

export function openInstallation(config: Config, log: Logger, options: OpenOptions = {}): Installation {
  ensureDataDir(config.dataDir);
  const current = loadMasterKey(config, log, options.generateDevKey ?? false);
  const previous = config.previousMasterKeyFile
    ? [readMasterKey("KABINET_PREVIOUS_MASTER_KEY_FILE", config.previousMasterKeyFile)]
    : [];
  const db = openDatabase(join(config.dataDir, "kabinet.db"));
  try {
    const migrationsApplied = (options.migrate ?? true) ? migrate(db) : 0;
    if (migrationsApplied > 0) log.info("database migrated", { migrations: migrationsApplied });
    const opened = Vault.open(db, current, [...previous, ...(options.alsoAccept ?? [])]);
    if (!opened.ok) throw new StartupError(`KABINET_MASTER_KEY_FILE: ${opened.problem}`);
    return { config, db, vault: opened.vault, log, masterKeys: [current, ...previous], migrationsApplied, mailer: smtpMailer(config), clock: options.clock ?? systemClock };
  } catch (err) {
    db.$client.close();
    if (err instanceof NewerDatabaseError) throw new StartupError(err.message);
    throw err;
  }
}

function ensureDataDir(dir: string): void {
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  } catch (cause) {
    throw new ConfigError("KABINET_DATA_DIR", `names ${dir}, which cannot be created (${(cause as NodeJS.ErrnoException).code})`);
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
