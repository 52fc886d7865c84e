// The real Kabinet binary as a process, for tests and benchmarks that kill it: built once per test process
// (`scripts/build.ts`, the same single binary the image ships), an organisation set up beforehand through the real
// services, and acknowledged writes over real HTTP (an admin creating a service: one row and one audit entry, in one
// transaction, acknowledged by the 303 that follows the commit).
import type { Subprocess } from "bun";
import { Database } from "bun:sqlite";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { cookieFor, setUpOrganisation } from "./accounts.ts";
import { makeInstallation } from "./installation.ts";
import { freePort } from "./processes.ts";

export const ROOT = join(import.meta.dir, "../..");

let built: string | null = null;

/** The compiled server: starts in about a tenth of a second, so a test can restart it hundreds of times. */
export function kabinetBinary(): string {
  if (built && existsSync(built)) return built;
  const out = join(mkdtempSync(join(tmpdir(), "kabinet-bin-")), "kabinet");
  const r = Bun.spawnSync([process.execPath, "run", join(ROOT, "scripts/build.ts"), "--outfile", out], { cwd: ROOT, stdout: "pipe", stderr: "pipe" });
  if (r.exitCode !== 0) throw new Error(`build failed: ${r.stderr.toString()}`);
  built = out;
  return out;
}

/** Deletes the built binary (120 MB): each test file that used it calls this in afterAll. */
export function removeKabinetBinary(): void {
  if (built) rmSync(dirname(built), { recursive: true, force: true });
  built = null;
}

/** The Litestream binary itself: the npm wrapper is a node script whose child would outlive a SIGKILL. */
export function litestreamBinary(): string {
  return join(ROOT, "node_modules/@flydotio", `litestream-${process.platform}-${process.arch}`, "litestream");
}

export interface Organisation {
  /** Temporary directory holding the master key file and the data dir. */
  dir: string;
  dataDir: string;
  keyFile: string;
  origin: string;
  /** KABINET_* variables the server runs with. */
  env: Record<string, string>;
  /** Cookie header of a signed-in admin. */
  cookie: string;
}

/** A migrated installation with an organisation and a signed-in admin; its database closed, ready for a server. */
export async function prepareOrganisation(extraEnv: Record<string, string> = {}): Promise<Organisation> {
  const port = await freePort();
  const origin = `http://127.0.0.1:${port}`;
  const inst = makeInstallation({ KABINET_PUBLIC_URL: origin, KABINET_LISTEN: `127.0.0.1:${port}`, KABINET_METRICS_LISTEN: "off", ...extraEnv });
  const admin = await setUpOrganisation(inst);
  const cookie = cookieFor(inst, admin.personId);
  inst.db.$client.close();
  return { dir: inst.dir, dataDir: inst.config.dataDir, keyFile: inst.keyFile, origin, env: inst.env, cookie };
}

/** Runs `kabinet <args>` with only the given KABINET_* variables; stdout and stderr are appended to `logFile`. */
export function spawnKabinet(args: string[], env: Record<string, string>, logFile?: string): Subprocess {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("KABINET_")));
  const out = logFile ? Bun.file(logFile) : "ignore";
  return Bun.spawn([kabinetBinary(), ...args], { env: { ...clean, ...env }, stdout: out, stderr: out });
}

export function runKabinet(args: string[], env: Record<string, string>): { code: number; stdout: string; stderr: string } {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("KABINET_")));
  const r = Bun.spawnSync([kabinetBinary(), ...args], { env: { ...clean, ...env }, stdout: "pipe", stderr: "pipe" });
  return { code: r.exitCode ?? -1, stdout: r.stdout.toString(), stderr: r.stderr.toString() };
}

export const SERVICE_FORM = {
  descriptionEn: "",
  durationMinutes: "30",
  bufferBeforeMinutes: "0",
  bufferAfterMinutes: "0",
  mode: "online",
  price: "",
  currency: "EUR",
  cancelHours: "24",
  active: "on",
};

/** POST /admin/services as the admin: the response, or null when the connection failed (server gone). */
export async function createService(org: Pick<Organisation, "origin" | "cookie">, name: string, timeoutMs = 5_000): Promise<Response | null> {
  try {
    return await fetch(`${org.origin}/admin/services`, {
      method: "POST",
      redirect: "manual",
      body: new URLSearchParams({ ...SERVICE_FORM, nameEn: name }),
      headers: { "content-type": "application/x-www-form-urlencoded", origin: org.origin, cookie: org.cookie },
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch {
    return null;
  }
}

/** The names of every service in the database file, read with a connection of our own. */
export function serviceNames(dbPath: string): Set<string> {
  const db = new Database(dbPath, { readonly: true });
  try {
    return new Set((db.query("SELECT name_en AS n FROM services").all() as { n: string }[]).map((r) => r.n));
  } finally {
    db.close();
  }
}

/** `PRAGMA integrity_check` on the database file: "ok" or the problems SQLite found. */
export function integrityCheck(dbPath: string): string {
  const db = new Database(dbPath);
  try {
    return (db.query("PRAGMA integrity_check").all() as { integrity_check: string }[]).map((r) => r.integrity_check).join("\n");
  } finally {
    db.close();
  }
}

/** Polls /livez until it answers (fast: a restart loop waits on this), or throws if the process exited. */
export async function waitLive(origin: string, proc: Subprocess, ms = 15_000): Promise<void> {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    try {
      const r = await fetch(`${origin}/livez`, { signal: AbortSignal.timeout(1000) });
      if (r.ok) return;
    } catch {
      // not listening yet
    }
    if (proc.exitCode !== null) throw new Error(`kabinet exited (${proc.exitCode}) before ${origin}/livez answered`);
    await Bun.sleep(5);
  }
  throw new Error(`${origin}/livez did not answer within ${ms} ms`);
}
