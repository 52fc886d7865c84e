// The copy off the box against a real OpenSSH server on loopback (Debian openssh-server; run as root with its own
// config, host key and authorized key, root login with that key only, SFTP by internal-sftp): each backup arrives
// whole under its name, the retention rule prunes the remote dir too, and a server showing another host key than the
// configured fingerprint is refused before anything is sent.
import { afterAll, beforeAll, expect, test } from "bun:test";
import type { Subprocess } from "bun";
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { backupRunning, createBackup } from "../src/backup/backup.ts";
import { startBackupSchedule } from "../src/backup/schedule.ts";
import { readBackupStatus } from "../src/backup/status.ts";
import { createMetrics } from "../src/ops/metrics.ts";
import { makeInstallation, runCli, tempDir } from "./support/installation.ts";
import { stop } from "./support/processes.ts";
import { sshFingerprint, sshKey, startSftpServer } from "./support/sftp-server.ts";

let sshd: Subprocess;
let dir: string;
let port: number;
let remote: string;
let hostKeyFingerprint: string;
let otherFingerprint: string;

beforeAll(async () => {
  dir = tempDir("kabinet-sftp-");
  const server = await startSftpServer(dir);
  sshd = server.process;
  port = server.port;
  hostKeyFingerprint = server.hostKeyFingerprint;
  sshKey(join(dir, "other_host_key"));
  otherFingerprint = sshFingerprint(join(dir, "other_host_key.pub"));
  remote = join(dir, "remote");
  mkdirSync(remote);
});
afterAll(async () => {
  await stop(sshd);
});

function sftpEnv(hostKey: string, keep = "7d,4w,12m"): Record<string, string> {
  return {
    KABINET_BACKUP_SFTP_URL: `sftp://root@127.0.0.1:${port}${remote}`,
    KABINET_BACKUP_SFTP_KEY_FILE: join(dir, "client_key"),
    KABINET_BACKUP_SFTP_HOST_KEY: hostKey,
    KABINET_BACKUP_KEEP: keep,
  };
}

test("each backup is copied whole to the SFTP dir and the remote dir is pruned by the same rule", async () => {
  writeFileSync(join(remote, "keep-me.txt"), "not a backup");
  const inst = makeInstallation(sftpEnv(hostKeyFingerprint, "2d,0w,0m"));
  try {
    const start = Date.UTC(2026, 11, 1, 2);
    for (let d = 0; d < 4; d++) {
      inst.clock.set(start + d * 86_400_000);
      const outcome = await createBackup(inst, "system");
      if (!outcome.ok) throw new Error(outcome.problem);
      expect(outcome.offsite).toEqual({ ok: true });
      expect(readFileSync(join(remote, outcome.run.file))).toEqual(readFileSync(join(inst.config.backup.dir, outcome.run.file)));
    }
    expect(readdirSync(remote).sort()).toEqual(["kabinet-2026-12-03T02-00-00Z.kbk", "kabinet-2026-12-04T02-00-00Z.kbk", "keep-me.txt"]);
    const status = readBackupStatus(inst.config.backup.dir);
    expect(status.lastOffsite?.file).toBe("kabinet-2026-12-04T02-00-00Z.kbk");
    expect(status.lastOffsiteFailure).toBeNull();
  } finally {
    inst.close();
  }
});

test("a server showing another host key than KABINET_BACKUP_SFTP_HOST_KEY is refused with a clear message; the local backup stands", async () => {
  const before = readdirSync(remote).sort();
  const inst = makeInstallation(sftpEnv(otherFingerprint));
  try {
    const outcome = await createBackup(inst, "system");
    if (!outcome.ok) throw new Error(outcome.problem);
    const problem = `the SFTP server 127.0.0.1:${port} showed host key ${hostKeyFingerprint}, not KABINET_BACKUP_SFTP_HOST_KEY ${otherFingerprint}: refused. If its key changed on purpose, set the new fingerprint (ssh-keygen -lf on its host key)`;
    expect(JSON.stringify(outcome.offsite)).toBe(JSON.stringify({ ok: false, problem }));
    expect(readdirSync(remote).sort()).toEqual(before);
    const status = readBackupStatus(inst.config.backup.dir);
    expect(status.lastOffsiteFailure?.problem).toBe(problem);
    expect(status.lastBackup?.file).toBe(outcome.run.file);
    // The admin page shows it as a problem.
    const { setUpOrganisation, signedInClient } = await import("./support/accounts.ts");
    const admin = await setUpOrganisation(inst);
    const html = await (await signedInClient(inst, admin).get("/admin/backups")).text();
    expect(html).toContain(`Each backup is copied over SFTP to 127.0.0.1:${port}`);
    expect(html).toContain("showed host key");
    // `kabinet backup` says so and exits 1.
    const cli = runCli(["backup"], inst.env);
    expect(cli.code).toBe(1);
    expect(cli.stderr).toBe(`kabinet: the copy off the box failed: ${problem}\n`);
  } finally {
    inst.close();
  }
});

/** sshd and every process under it (the per-connection sessions), to freeze the server as a hung host would be. */
function sshdTree(): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
    } catch {
      // gone meanwhile
    }
  }
  const all = [sshd.pid];
  for (let i = 0; i < all.length; i++) all.push(...(children.get(all[i]!) ?? []));
  return all;
}

function signalSshd(signal: "SIGSTOP" | "SIGCONT"): void {
  for (const pid of sshdTree()) {
    try {
      process.kill(pid, signal);
    } catch {
      // exited meanwhile
    }
  }
}

const SHORT = { floorMs: 2_000, bytesPerSecond: 1024 * 1024 * 1024, keepaliveMs: 500 };

test("a stalled SFTP server fails the copy within its deadline, records it, and does not block the next backup", async () => {
  const inst = makeInstallation(sftpEnv(hostKeyFingerprint));
  const deps = { ...inst, offsiteLimits: SHORT };
  signalSshd("SIGSTOP"); // the kernel still accepts the connection; nothing answers
  try {
    inst.clock.set(Date.UTC(2026, 11, 10, 2));
    const began = performance.now();
    const first = createBackup(deps, "system");
    // The local backup is done and the backup lock free while the copy hangs.
    while (readBackupStatus(inst.config.backup.dir).lastBackup === null) await Bun.sleep(20);
    while (backupRunning(inst.config.backup.dir)) await Bun.sleep(20);
    inst.clock.set(Date.UTC(2026, 11, 11, 2));
    const secondWhole = createBackup(deps, "system");
    const second = await Promise.race([localPartDone(deps.config.backup.dir), Bun.sleep(1_500).then(() => "blocked" as const)]);
    expect(second).toBe("kabinet-2026-12-11T02-00-00Z.kbk");
    const outcome = await first;
    const took = performance.now() - began;
    if (!outcome.ok) throw new Error(outcome.problem);
    expect(outcome.offsite?.ok).toBe(false);
    expect(took).toBeLessThan(SHORT.floorMs + 2_000);
    const problem = readBackupStatus(inst.config.backup.dir).lastOffsiteFailure?.problem ?? "";
    expect(problem).toMatch(new RegExp(`^the SFTP server 127\\.0\\.0\\.1:${port} (did not finish the copy within 2 s|accepted the connection but did not complete the SSH handshake)`));
    // Monitoring sees a copy that never worked.
    const metrics = createMetrics(inst);
    try {
      const text = await metrics.scrape();
      const at = readBackupStatus(inst.config.backup.dir).lastOffsiteFailure!.at;
      expect(text).toContain(`kabinet_backup_offsite_last_failure_timestamp_seconds ${at / 1000}\n`);
      expect(text).toContain("kabinet_backup_offsite_last_success_timestamp_seconds 0\n");
    } finally {
      metrics.close();
    }
    await secondWhole;
  } finally {
    signalSshd("SIGCONT");
    inst.close();
  }
}, 30_000);

/** The file name of the next local backup recorded, once it is. */
async function localPartDone(dir: string): Promise<string> {
  while (readBackupStatus(dir).lastBackup?.file !== "kabinet-2026-12-11T02-00-00Z.kbk") await Bun.sleep(20);
  return readBackupStatus(dir).lastBackup!.file;
}

test("stopping the schedule gives up a copy to a stalled SFTP server at once instead of waiting for it", async () => {
  const inst = makeInstallation(sftpEnv(hostKeyFingerprint));
  const deps = { ...inst, offsiteLimits: { ...SHORT, floorMs: 60_000 } };
  signalSshd("SIGSTOP");
  try {
    inst.clock.set(Date.UTC(2026, 11, 20, 2));
    const schedule = startBackupSchedule(deps, { firstCheckMs: 0 });
    while (readBackupStatus(inst.config.backup.dir).lastBackup === null) await Bun.sleep(20);
    await Bun.sleep(200); // the copy is under way (connecting to the frozen server)
    const began = performance.now();
    await schedule.stop();
    expect(performance.now() - began).toBeLessThan(2_000);
    const failure = readBackupStatus(inst.config.backup.dir).lastOffsiteFailure;
    expect(failure?.problem).toBe(`the copy to 127.0.0.1:${port} was stopped because the server stopped; the next backup copies again`);
  } finally {
    signalSshd("SIGCONT");
    inst.close();
  }
}, 30_000);

test("an SFTP server that completes the SSH handshake but never answers the SFTP subsystem is given up at the deadline", async () => {
  // A second sshd whose "sftp" subsystem swallows the request: the connection stays alive (keepalives are answered),
  // so only the copy's own deadline ends it.
  const silentServer = await startSftpServer(dir, { subsystem: "/bin/cat >/dev/null", name: "sshd_silent" });
  const silent = silentServer.process;
  const silentPort = silentServer.port;
  const inst = makeInstallation({ ...sftpEnv(hostKeyFingerprint), KABINET_BACKUP_SFTP_URL: `sftp://root@127.0.0.1:${silentPort}${remote}` });
  try {
    const began = performance.now();
    const outcome = await createBackup({ ...inst, offsiteLimits: SHORT }, "system");
    if (!outcome.ok) throw new Error(outcome.problem);
    expect(performance.now() - began).toBeLessThan(SHORT.floorMs + 2_000);
    const problem = `the SFTP server 127.0.0.1:${silentPort} did not finish the copy within 2 s (it stopped answering): check the server and the network to it`;
    expect(JSON.stringify(outcome.offsite)).toBe(JSON.stringify({ ok: false, problem }));
    expect(readBackupStatus(inst.config.backup.dir).lastOffsiteFailure?.problem).toBe(problem);
  } finally {
    inst.close();
    await stop(silent);
  }
}, 30_000);
