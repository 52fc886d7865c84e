// The "server died" drill of docs/disaster-recovery.md on one machine, shared by test/litestream.test.ts and the
// benchmark: the real server and `litestream replicate` with config/litestream.yml, acknowledged writes over HTTP,
// SIGKILL, the data dir deleted (the dead disk), `litestream restore` into a new data dir, and what came back.
import type { Subprocess } from "bun";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { tempDir } from "./installation.ts";
import { createService, litestreamBinary, type Organisation, prepareOrganisation, ROOT, serviceNames, spawnKabinet, waitLive } from "./kabinet-process.ts";

export const LITESTREAM_CONFIG = join(ROOT, "config/litestream.yml");

export interface Replica {
  /** KABINET_REPLICA_URL. */
  url: string;
  /** Further variables config/litestream.yml reads (KABINET_REPLICA_SFTP_KEY_FILE …). */
  env?: Record<string, string>;
  /** Where the replica's files are, to wait for the first snapshot; or `snapshotWritten` for a replica elsewhere. */
  dir?: string;
  snapshotWritten?: () => boolean;
  /** The argv that runs `litestream <command> -config … <args>` (default: the binary with config/litestream.yml). */
  argv?: (command: "replicate" | "restore", args: string[]) => string[];
}

function litestreamArgv(replica: Replica, command: "replicate" | "restore", args: string[]): string[] {
  return replica.argv ? replica.argv(command, args) : [litestreamBinary(), command, "-config", LITESTREAM_CONFIG, ...args];
}

export interface DrillOptions {
  /** How long writes run before the kill, in ms. */
  writeMs: number;
  /** "server first": SIGKILL the server, wait `graceMs`, then Litestream (a crash). "together": both at once (the box died). */
  kill: "server first" | "together";
  graceMs?: number;
  /** Concurrent writers. */
  writers?: number;
}

export interface Drill {
  org: Organisation;
  /** The new machine's data dir, with the restored database. */
  restoredDataDir: string;
  /** Every acknowledged write: its name and when (performance.now()) its 303 arrived. */
  acked: { name: string; at: number }[];
  /** When the server was killed (performance.now()). */
  killedAt: number;
  present: Set<string>;
  /** Last acknowledged write minus the newest acknowledged write present after the restore, in ms (0: none lost). */
  recoveryPointMs: number;
  /** Acknowledged writes missing after the restore. */
  lost: { name: string; at: number }[];
  litestreamLog: string;
  restoreLog: string;
  /** How long `litestream restore` took, in ms. */
  restoreMs: number;
  /** audit-head.json as it was half-way through the writes: what a sealed backup made then holds. */
  auditHeadMidway: Buffer | null;
}

/** Litestream's environment on this machine; its metrics on `metricsPort` of loopback, or none. */
export function litestreamEnv(dataDir: string, replica: Replica, metricsPort?: number): Record<string, string> {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("KABINET_") && !k.startsWith("LITESTREAM_")));
  const metrics = metricsPort ? `127.0.0.1:${metricsPort}` : "";
  return { ...clean, ...replica.env, KABINET_DATA_DIR: dataDir, KABINET_REPLICA_URL: replica.url, KABINET_REPLICA_METRICS_LISTEN: metrics };
}

export function hasSnapshot(replica: Replica): boolean {
  if (replica.snapshotWritten) return replica.snapshotWritten();
  const generations = join(replica.dir!, "generations");
  if (!existsSync(generations)) return false;
  return readdirSync(generations).some((g) => {
    const snapshots = join(generations, g, "snapshots");
    return existsSync(snapshots) && readdirSync(snapshots).some((f) => f.endsWith(".snapshot.lz4"));
  });
}

export async function until(what: string, ok: () => boolean, ms: number, proc?: Subprocess, log?: () => string): Promise<void> {
  const end = performance.now() + ms;
  while (!ok()) {
    if (proc && proc.exitCode !== null) throw new Error(`${what}: the process exited (${proc.exitCode}): ${log?.() ?? ""}`);
    if (performance.now() > end) throw new Error(`${what} did not happen within ${ms} ms: ${log?.() ?? ""}`);
    await Bun.sleep(50);
  }
}

/** Runs the drill once; the caller removes `org.dir` and `restoredDataDir`'s parent. */
export async function runDrill(replica: Replica, options: DrillOptions): Promise<Drill> {
  const org = await prepareOrganisation();
  const serverLog = join(org.dir, "server.log");
  const server = spawnKabinet(["serve"], org.env, serverLog);
  const litestreamLog = join(org.dir, "litestream.log");
  const litestream = Bun.spawn(litestreamArgv(replica, "replicate", []), {
    env: litestreamEnv(org.dataDir, replica),
    stdout: Bun.file(litestreamLog),
    stderr: "inherit",
  });
  const readLog = () => (existsSync(litestreamLog) ? readFileSync(litestreamLog, "utf8") : "");
  try {
    await waitLive(org.origin, server);
    await until("Litestream's first snapshot", () => hasSnapshot(replica), 20_000, litestream, readLog);

    const acked: { name: string; at: number }[] = [];
    let stopWriting = false;
    let n = 0;
    const writer = async (w: number) => {
      while (!stopWriting) {
        const name = `dr-${w}-${n++}`;
        const r = await createService(org, name);
        if (r === null) break; // the server is gone
        if (r.status === 303) acked.push({ name, at: performance.now() });
        else throw new Error(`writing ${name} answered ${r.status}`);
      }
    };
    const writing = Promise.all(Array.from({ length: options.writers ?? 2 }, (_, w) => writer(w)));
    await Bun.sleep(options.writeMs / 2);
    const headFile = join(org.dataDir, "audit-head.json");
    const auditHeadMidway = existsSync(headFile) ? readFileSync(headFile) : null;
    await Bun.sleep(options.writeMs / 2);
    const killedAt = performance.now();
    server.kill("SIGKILL");
    if (options.kill === "together") litestream.kill("SIGKILL");
    stopWriting = true;
    await writing;
    await server.exited;
    if (options.kill === "server first") {
      await Bun.sleep(options.graceMs ?? 2_000);
      litestream.kill("SIGKILL");
    }
    await litestream.exited;
    if (acked.length === 0) throw new Error(`no write was acknowledged: ${readLog()}`);

    // The disk died: nothing of the old data dir is left to restore from.
    rmSync(org.dataDir, { recursive: true, force: true });

    const restoredDataDir = join(tempDir("kabinet-new-machine-"), "data");
    mkdirSync(restoredDataDir, { mode: 0o700 });
    const restoreStarted = performance.now();
    // Not spawnSync: the replica may be served by this very process (test/support/s3-store.ts).
    const restore = Bun.spawn(litestreamArgv(replica, "restore", [join(restoredDataDir, "kabinet.db")]), {
      env: litestreamEnv(restoredDataDir, replica),
      stdout: "pipe",
      stderr: "pipe",
    });
    const [restoreOut, restoreErr, restoreCode] = await Promise.all([new Response(restore.stdout).text(), new Response(restore.stderr).text(), restore.exited]);
    const restoreMs = performance.now() - restoreStarted;
    const restoreLog = restoreOut + restoreErr;
    if (restoreCode !== 0) throw new Error(`litestream restore failed: ${restoreLog}`);

    const present = serviceNames(join(restoredDataDir, "kabinet.db"));
    const lost = acked.filter((a) => !present.has(a.name));
    const newestPresent = Math.max(...acked.filter((a) => present.has(a.name)).map((a) => a.at), Number.NEGATIVE_INFINITY);
    const lastAck = acked.at(-1)!.at;
    const recoveryPointMs = lost.length === 0 ? 0 : lastAck - (Number.isFinite(newestPresent) ? newestPresent : acked[0]!.at);
    return { org, restoredDataDir, acked, killedAt, present, recoveryPointMs, lost, litestreamLog: readLog(), restoreLog, restoreMs, auditHeadMidway };
  } finally {
    server.kill("SIGKILL");
    litestream.kill("SIGKILL");
    await Promise.all([server.exited, litestream.exited]);
  }
}
