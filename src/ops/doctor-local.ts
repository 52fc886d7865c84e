// The doctor's checks of this machine: master key, database, disk space, media ports, public address, backups.
// Nothing here writes: the database is opened read-only and only what the file system and SQLite report is read.
import { constants, Database } from "bun:sqlite";
import { createSocket } from "node:dgram";
import { existsSync, statfsSync, statSync } from "node:fs";
import { networkInterfaces } from "node:os";
import { dirname, join } from "node:path";
import { drizzle } from "drizzle-orm/bun-sqlite";
import { readBackupStatus } from "../backup/status.ts";
import type { Clock } from "../clock.ts";
import { type Config, ConfigError, readSecretFile } from "../config.ts";
import { type MasterKey, parseMasterKey } from "../crypto/master-key.ts";
import { type DB, migrationState } from "../db/client.ts";
import * as schema from "../db/schema.ts";
import { hasVault, Vault } from "../vault/vault.ts";
import { type CheckResult, fail, ok, warn } from "./doctor.ts";
import { explainFailure } from "./failures.ts";

const GiB = 1024 ** 3;
const MiB = 1024 ** 2;
/** Above this size the full integrity check would take minutes; quick_check skips the index cross-checks. */
const FULL_CHECK_MAX_BYTES = 1 * GiB;
const HOUR = 3600_000;

function databasePath(config: Config): string {
  return join(config.dataDir, "kabinet.db");
}

/**
 * The database read-only: a running server keeps writing beside it, and the doctor must change nothing. While a server
 * runs (or after a crash) its -wal and -shm files exist and are read through. Without them, an ordinary read-only
 * open would create both, owned by whoever runs the doctor: root on the host would lock the server (uid 10001) out of
 * its own database. The file is then read as immutable, which creates nothing; a stopped server left it whole.
 */
function openReadOnly(path: string): DB {
  const client = existsSync(`${path}-shm`)
    ? new Database(path, { readonly: true })
    : new Database(`file:${path.replace(/[%?#]/g, (c) => `%${c.charCodeAt(0).toString(16)}`)}?immutable=1`, constants.SQLITE_OPEN_READONLY | constants.SQLITE_OPEN_URI);
  client.run("PRAGMA busy_timeout = 2000");
  return drizzle({ client, schema }) as DB;
}

function readKey(variable: string, path: string): { key: MasterKey } | { problem: string } {
  try {
    const parsed = parseMasterKey(readSecretFile(variable, path));
    return parsed.ok ? { key: parsed.value } : { problem: `${variable} names ${path}, which ${parsed.problem}` };
  } catch (err) {
    if (err instanceof ConfigError) return { problem: err.message };
    throw err;
  }
}

export function checkMasterKey(config: Config): CheckResult[] {
  const name = "master key";
  const devKey = join(config.dataDir, "master.key");
  const path = config.masterKeyFile ?? (existsSync(devKey) ? devKey : null);
  if (!path) {
    return [fail(name, "KABINET_MASTER_KEY_FILE is not set", "Create a key with `openssl rand -base64 32 > master.key`, keep it off the data volume and set KABINET_MASTER_KEY_FILE to it.")];
  }
  const current = readKey("KABINET_MASTER_KEY_FILE", path);
  if ("problem" in current) return [fail(name, current.problem, "Point KABINET_MASTER_KEY_FILE at the key file the database was created with (32 random bytes in base64), readable by Kabinet's user.")];
  const previous: MasterKey[] = [];
  if (config.previousMasterKeyFile) {
    const old = readKey("KABINET_PREVIOUS_MASTER_KEY_FILE", config.previousMasterKeyFile);
    if ("problem" in old) return [fail(name, old.problem, "Point KABINET_PREVIOUS_MASTER_KEY_FILE at the old key of the rotation, or unset it once the rotation finished.")];
    previous.push(old.key);
  }
  const results: CheckResult[] = [];
  if (!config.masterKeyFile) {
    results.push(warn(name, `the development key in the data dir is in use (${path}): whoever copies the data dir can read everything`, "For production, move the key off the data volume and set KABINET_MASTER_KEY_FILE to it (README, Production install)."));
  }
  const mode = statSync(path).mode & 0o777;
  if ((mode & 0o077) !== 0) {
    results.push(warn(name, `${path} can be read by other users (mode ${mode.toString(8).padStart(4, "0")})`, `Run chmod 600 ${path}.`));
  }
  const opened = proveKey(config, current.key, previous);
  results.push(opened ?? ok(name, `key ${current.key.id} is readable${(mode & 0o077) === 0 ? " (mode 0600)" : ""} and opens the database`));
  return results;
}

/** Proves the key against the existing database's data keys without writing; null when it opens them. */
function proveKey(config: Config, current: MasterKey, previous: MasterKey[]): CheckResult | null {
  const name = "master key";
  const path = databasePath(config);
  if (!existsSync(path)) return ok(name, `key ${current.id} is readable; there is no database yet to open`);
  let db: DB | null = null;
  try {
    db = openReadOnly(path);
    if (!hasVault(db)) return ok(name, `key ${current.id} is readable; the database holds no data keys yet`);
    const problem = Vault.check(db, current, previous);
    if (!problem) return null;
    return fail(
      name,
      problem.split(". ")[0]!,
      "Set KABINET_MASTER_KEY_FILE to the key this database was created with; after an unfinished rotation, also set KABINET_PREVIOUS_MASTER_KEY_FILE to the old key.",
    );
  } catch {
    return warn(name, `key ${current.id} is readable, but the database could not be read to prove it`, "See the database line below.");
  } finally {
    db?.$client.close();
  }
}

export function checkDatabase(config: Config): CheckResult {
  const name = "database";
  const path = databasePath(config);
  if (!existsSync(path)) return warn(name, `${path} does not exist yet`, "Run `kabinet migrate` or start the server once: it creates the database.");
  const bytes = statSync(path).size;
  let db: DB | null = null;
  try {
    db = openReadOnly(path);
    const full = bytes <= FULL_CHECK_MAX_BYTES;
    const rows = db.$client.query(full ? "PRAGMA integrity_check(20)" : "PRAGMA quick_check(20)").all() as Record<string, string>[];
    const findings = rows.map((r) => Object.values(r)[0]);
    if (findings.length !== 1 || findings[0] !== "ok") {
      return fail(name, `${full ? "integrity_check" : "quick_check"} found damage: ${findings.slice(0, 3).join("; ")}`, "Stop the server and restore the database from the newest backup (docs/backups.md).");
    }
    const size = formatBytes(bytes);
    const checked = full ? "integrity_check ok" : `quick_check ok (${size}: the full integrity_check would take long; run it with the server stopped)`;
    const state = migrationState(db);
    if (state.kind === "behind") return warn(name, `${checked}; schema behind: ${state.pending} migrations pending`, "Run `kabinet migrate` (the server also applies them when it starts).");
    if (state.kind === "newer") return fail(name, `${checked}; schema newer than this Kabinet (${state.applied} migrations applied, this version knows ${state.known})`, "Run the newer Kabinet, or restore a backup made by this version.");
    return ok(name, `${checked}, ${size}, schema current (${state.applied} migrations)`);
  } catch (err) {
    const code = (err as { code?: string }).code ?? "error";
    // explainFailure's line is "cause: fix (CODE)"; the report shows the cause with its code, the fix below it.
    const explained = explainFailure(err, config.dataDir)?.replace(/ \([A-Z_]+\)$/, "");
    if (!explained) return fail(name, `${path} cannot be read (${code})`, "Check the file's owner and the disk, then restore from a backup if it stays unreadable.");
    const [cause, ...fix] = explained.split(": ");
    return fail(name, `${cause} (${code})`, `${capitalise(fix.join(": "))}.`);
  } finally {
    db?.$client.close();
  }
}

/** The nearest directory that exists: a backup dir not made yet is measured where it will be made. */
function existingAncestor(path: string): string {
  let at = path;
  while (!existsSync(at) && dirname(at) !== at) at = dirname(at);
  return at;
}

export function checkDisks(config: Config): CheckResult[] {
  const places = [
    { label: "data", dir: existingAncestor(config.dataDir) },
    { label: "backups", dir: existingAncestor(config.backup.dir) },
  ];
  const dataDev = statSync(places[0]!.dir).dev;
  const sameDisk = statSync(places[1]!.dir).dev === dataDev;
  const shown = sameDisk ? [{ label: "data and backups", dir: places[0]!.dir }] : places;
  return shown.map(({ label, dir }) => {
    const name = `disk (${label})`;
    let fs: ReturnType<typeof statfsSync>;
    try {
      fs = statfsSync(dir);
    } catch (err) {
      return warn(name, `the free space of ${dir} cannot be read (${(err as NodeJS.ErrnoException).code ?? "error"})`, "Check that the directory is mounted.");
    }
    const free = fs.bavail * fs.bsize;
    const size = fs.blocks * fs.bsize;
    const share = size > 0 ? free / size : 0;
    const detail = `${formatBytes(free)} free of ${formatBytes(size)} (${Math.floor(share * 100)} %) at ${dir}`;
    const fix = `Free space at ${dir} (old backups, logs, docker system prune) or grow the disk.`;
    if (free < MiB) return fail(name, `${detail}: full, writes are refused`, fix);
    if (free < 2 * GiB || share < 0.1) return warn(name, `${detail}: running low`, fix);
    return ok(name, detail);
  });
}

/** Binds one UDP port for a moment: "free", or "held" when another socket has it. */
function tryBind(port: number): Promise<"free" | "held" | "denied"> {
  return new Promise((resolve) => {
    const socket = createSocket({ type: "udp4", reuseAddr: false });
    socket.once("error", (err: NodeJS.ErrnoException) => {
      socket.close();
      resolve(err.code === "EADDRINUSE" ? "held" : "denied");
    });
    socket.bind({ port, address: "0.0.0.0", exclusive: true }, () => {
      socket.close();
      resolve("free");
    });
  });
}

export async function checkMediaPorts(config: Config, serverRunning: boolean): Promise<CheckResult> {
  const name = "media ports";
  const [first, last] = config.mediaPorts;
  const ports = Array.from({ length: last - first + 1 }, (_, i) => first + i);
  const outcome: Record<"free" | "held" | "denied", number> = { free: 0, held: 0, denied: 0 };
  for (let i = 0; i < ports.length; i += 256) {
    for (const o of await Promise.all(ports.slice(i, i + 256).map(tryBind))) outcome[o]++;
  }
  const range = `UDP ${first}-${last}`;
  const find = `Find the program with \`ss -ulpn 'sport >= :${first} and sport <= :${last}'\` and stop it, or move KABINET_MEDIA_PORTS to a free range.`;
  if (outcome.denied > 0) return fail(name, `${range}: ${outcome.denied} ports may not be bound by this user`, "Use ports above 1023 in KABINET_MEDIA_PORTS.");
  if (outcome.held === 0) return ok(name, `${range}: all ${ports.length} free`);
  if (serverRunning) {
    if (outcome.free === 0) return warn(name, `${range}: all ${ports.length} held, no port left for another participant`, "Widen KABINET_MEDIA_PORTS (each participant needs one port) and open the new ports in the firewall.");
    return ok(name, `${range}: ${outcome.free} free, ${outcome.held} held by the running Kabinet's calls`);
  }
  if (outcome.free === 0) return fail(name, `${range}: all ${ports.length} held by another program, and no Kabinet is running`, find);
  return warn(name, `${range}: ${outcome.held} of ${ports.length} held by another program (no Kabinet is running)`, find);
}

/** RFC 1918, carrier-grade NAT (RFC 6598) and link-local addresses: nobody outside this network reaches them. */
export function isPrivateIPv4(ip: string): boolean {
  const [a, b] = ip.split(".").map(Number) as [number, number];
  return a === 10 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168) || (a === 100 && b >= 64 && b <= 127) || (a === 169 && b === 254);
}

export function checkPublicAddress(config: Config): CheckResult {
  const name = "public address";
  if (config.publicIp) return ok(name, `media is advertised at KABINET_PUBLIC_IP ${config.publicIp}`);
  const own = Object.values(networkInterfaces())
    .flat()
    .filter((a) => a !== undefined && a.family === "IPv4" && !a.internal)
    .map((a) => a!.address);
  const reachable = own.filter((ip) => !isPrivateIPv4(ip));
  if (reachable.length > 0) return ok(name, `media is advertised at this host's address ${reachable.join(", ")}`);
  return warn(
    name,
    `KABINET_PUBLIC_IP is unset and this host has only private addresses (${own.join(", ") || "none"}): browsers outside this network cannot reach its media`,
    "Set KABINET_PUBLIC_IP to the public address whose router forwards the media ports here (unless only people on this network take part).",
  );
}

export function checkBackups(config: Config, clock: Clock): CheckResult[] {
  const { dir, everyHours, drillEveryDays, sftp } = config.backup;
  const status = readBackupStatus(dir);
  const now = clock.now();
  const results: CheckResult[] = [];
  const last = status.lastBackup;
  const runBackup = "Run `kabinet backup` now and check the server log for why the scheduled one did not run.";
  if (status.lastBackupFailure && (!last || status.lastBackupFailure.at > last.at)) {
    results.push(fail("backups", `the last backup failed ${ago(now - status.lastBackupFailure.at)}: ${status.lastBackupFailure.problem}`, "Fix that cause, then run `kabinet backup` to confirm."));
  } else if (!last) {
    results.push(warn("backups", `no backup yet in ${dir}`, everyHours > 0 ? "Wait for the first scheduled backup or run `kabinet backup` now." : "Schedule backups with KABINET_BACKUP_EVERY_HOURS or run `kabinet backup` regularly."));
  } else if (everyHours > 0 && now - last.at > 1.5 * everyHours * HOUR) {
    results.push(fail("backups", `the last backup is ${ago(now - last.at)} old, the schedule is every ${everyHours} h`, runBackup));
  } else {
    results.push(ok("backups", `last backup ${ago(now - last.at)} ago (${formatBytes(last.bytes)})${everyHours > 0 ? `, every ${everyHours} h` : ", none scheduled"}`));
  }
  const drill = status.lastDrill;
  if (drill && !drill.ok) {
    results.push(fail("restore drill", `the last drill (${ago(now - drill.at)} ago) failed: ${drill.problem ?? "no reason recorded"}`, "Investigate that backup now: a backup that does not restore is no backup (docs/backups.md)."));
  } else if (drillEveryDays > 0 && last && (!drill || now - drill.at > 1.5 * drillEveryDays * 24 * HOUR)) {
    results.push(warn("restore drill", drill ? `the last drill is ${ago(now - drill.at)} old, the schedule is every ${drillEveryDays} days` : "no restore drill yet", "Check the server log for why the drill did not run."));
  } else if (drill) {
    results.push(ok("restore drill", `the last drill ${ago(now - drill.at)} ago restored ${drill.file}`));
  }
  if (sftp) {
    const copy = status.lastOffsite;
    const limit = 1.5 * Math.max(everyHours, 1) * HOUR;
    const host = sftp.url.host;
    if (!copy || now - copy.at > limit) {
      const failure = status.lastOffsiteFailure && (!copy || status.lastOffsiteFailure.at > copy.at) ? `; the last attempt failed: ${status.lastOffsiteFailure.problem}` : "";
      results.push(warn("off-site copy", `${copy ? `the last copy to ${host} is ${ago(now - copy.at)} old` : `no copy to ${host} yet`}${failure}`, "Check that the SFTP server is reachable and accepts the key (KABINET_BACKUP_SFTP_*), then run `kabinet backup`."));
    } else {
      results.push(ok("off-site copy", `last copy to ${host} ${ago(now - copy.at)} ago`));
    }
  }
  return results;
}

function ago(ms: number): string {
  const minutes = Math.max(0, Math.round(ms / 60_000));
  if (minutes < 120) return `${minutes} min`;
  const hours = Math.round(minutes / 60);
  return hours < 72 ? `${hours} h` : `${Math.round(hours / 24)} days`;
}

export function formatBytes(bytes: number): string {
  if (bytes >= GiB) return `${(bytes / GiB).toFixed(1)} GiB`;
  if (bytes >= MiB) return `${(bytes / MiB).toFixed(1)} MiB`;
  return `${Math.round(bytes / 1024)} KiB`;
}

function capitalise(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}
