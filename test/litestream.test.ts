// docs/disaster-recovery.md, "The server died: restore on a new machine", run end to end on one machine: the real
// server and `litestream replicate` with config/litestream.yml, acknowledged writes over HTTP, SIGKILL, the data dir
// deleted, `litestream restore` into a new data dir, and the server started there with the same master key.
import type { Subprocess } from "bun";
import { afterAll, afterEach, describe, expect, test } from "bun:test";
import { existsSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { tempDir, writeKeyFile } from "./support/installation.ts";
import { integrityCheck, litestreamBinary, removeKabinetBinary, ROOT, runKabinet, spawnKabinet, waitLive } from "./support/kabinet-process.ts";
import { type Drill, LITESTREAM_CONFIG, type Replica, runDrill } from "./support/litestream.ts";
import { stop } from "./support/processes.ts";
import { startS3Store } from "./support/s3-store.ts";
import { startSftpServer } from "./support/sftp-server.ts";

/** sshd needs root (privilege separation); the test machine and CI run as root. */
const sshdWorks = process.getuid?.() === 0 && existsSync("/usr/sbin/sshd");

const cleanup: string[] = [];
const processes: Subprocess[] = [];
afterAll(removeKabinetBinary);
afterEach(async () => {
  for (const p of processes.splice(0)) await stop(p);
  for (const d of cleanup.splice(0)) rmSync(d, { recursive: true, force: true });
});

type ComposeService = { image: string; user: string; entrypoint: string[]; environment: Record<string, string>; volumes: string[]; secrets: { source: string }[]; profiles: string[] };

/** The litestream service as `docker-compose config` resolves it for an admin's .env. */
function composeLitestream(env: Record<string, string>): { service: ComposeService; secrets: Record<string, { file: string }> } {
  const work = tempDir("kabinet-compose-");
  cleanup.push(work);
  const all = { PATH: process.env.PATH!, KABINET_DOMAIN: "consult.example.org", KABINET_MASTER_KEY_FILE: writeKeyFile(work), KABINET_PUBLIC_IP: "127.0.0.1", ...env };
  const r = Bun.spawnSync(["docker-compose", "-f", join(ROOT, "compose.yaml"), "--profile", "litestream", "config"], { env: all, cwd: work, stdout: "pipe", stderr: "pipe" });
  expect(r.stderr.toString()).toBe("");
  const config = Bun.YAML.parse(r.stdout.toString()) as { services: Record<string, ComposeService>; secrets: Record<string, { file: string }> };
  return { service: config.services.litestream!, secrets: config.secrets };
}

/** The service's own start-up script, its container paths moved onto this machine. */
function startupScript(service: ComposeService, paths: { s3Secret: string }): string {
  expect(service.entrypoint.slice(0, 2)).toEqual(["/bin/sh", "-c"]);
  return service.entrypoint[2]!
    .replaceAll("$$", "$")
    .replaceAll("/run/secrets/litestream_s3_secret", paths.s3Secret)
    .replaceAll("/etc/litestream.yml", LITESTREAM_CONFIG)
    .replaceAll("exec litestream ", `exec ${litestreamBinary()} `);
}

/** What the runbook's last steps check: the restored database, the audit chain, and a server that is ready. */
/**
 * `headFrom`: "backup" puts back the audit head a sealed backup made during the writes holds (runbook step 4), and
 * `kabinet audit verify` then proves the replica holds every entry up to it; "first start": no head file, the first
 * start records the restored log's head (saying so in its log), and the check runs after it.
 */
async function expectRestoredInstallationWorks(drill: Drill, headFrom: "backup" | "first start"): Promise<void> {
  const db = join(drill.restoredDataDir, "kabinet.db");
  expect(integrityCheck(db)).toBe("ok");
  const env = { ...drill.org.env, KABINET_DATA_DIR: drill.restoredDataDir };
  const verify = () => {
    const r = runKabinet(["audit", "verify"], env);
    expect(r.stdout).toMatch(/^OK: \d+ audit entries, chain intact/);
    expect(r.code).toBe(0);
    return r.stdout;
  };
  if (headFrom === "backup") {
    expect(drill.auditHeadMidway).not.toBeNull();
    writeFileSync(join(drill.restoredDataDir, "audit-head.json"), drill.auditHeadMidway!, { mode: 0o600 });
    expect(verify()).toContain("includes the head recorded at");
  }

  const server = spawnKabinet(["serve"], env, join(dirname(drill.restoredDataDir), "server.log"));
  try {
    await waitLive(drill.org.origin, server);
    const ready = await fetch(`${drill.org.origin}/readyz`);
    expect(ready.status).toBe(200);
    // The admin's session came back with the database: the last write the replica holds is on the page.
    const newest = drill.acked.filter((a) => drill.present.has(a.name)).at(-1)!;
    const page = await fetch(`${drill.org.origin}/admin/services`, { headers: { cookie: drill.org.cookie } });
    expect(page.status).toBe(200);
    expect(await page.text()).toContain(newest.name);
  } finally {
    await stop(server);
  }
  verify();
}

function report(label: string, drill: Drill): void {
  console.log(`${label}: ${drill.acked.length} acknowledged writes, ${drill.lost.length} lost; recovery point ${Math.round(drill.recoveryPointMs)} ms`);
}

describe("disaster recovery with Litestream", () => {
  test("the server dies, Litestream ships what it has; a new machine restored from a directory replica has every acknowledged write", async () => {
    const backupServer = tempDir("kabinet-replica-");
    cleanup.push(backupServer);
    const replica: Replica = { url: `file://${join(backupServer, "kabinet")}`, dir: join(backupServer, "kabinet") };
    const drill = await runDrill(replica, { writeMs: 3_000, kill: "server first", graceMs: 2_000 });
    cleanup.push(drill.org.dir, dirname(drill.restoredDataDir));
    report("directory replica, server killed first", drill);
    expect(drill.acked.filter((a) => a.at <= drill.killedAt - 1_000 && !drill.present.has(a.name))).toEqual([]);
    expect(drill.lost).toEqual([]); // Litestream had 2 s after the kill: nothing acknowledged is missing
    await expectRestoredInstallationWorks(drill, "backup");
  });

  test("the whole box dies at once (server and Litestream killed together): at most about a second of writes is lost", async () => {
    const backupServer = tempDir("kabinet-replica-");
    cleanup.push(backupServer);
    const replica: Replica = { url: `file://${join(backupServer, "kabinet")}`, dir: join(backupServer, "kabinet") };
    const drill = await runDrill(replica, { writeMs: 3_000, kill: "together" });
    cleanup.push(drill.org.dir, dirname(drill.restoredDataDir));
    report("directory replica, box killed", drill);
    expect(drill.acked.filter((a) => a.at <= drill.killedAt - 1_000 && !drill.present.has(a.name))).toEqual([]);
    expect(drill.recoveryPointMs).toBeLessThan(1_000);
    await expectRestoredInstallationWorks(drill, "first start");
  });

  test.skipIf(!sshdWorks)("the compose service's own start-up script replicates to an SFTP backup server with a key, and the runbook restores from it", async () => {
    const backupServer = tempDir("kabinet-sftp-");
    cleanup.push(backupServer);
    const sftp = await startSftpServer(backupServer);
    processes.push(sftp.process);
    const url = `sftp://${sftp.user}@127.0.0.1:${sftp.port}${join(backupServer, "kabinet")}`;
    const { service, secrets } = composeLitestream({ KABINET_REPLICA_URL: url, KABINET_REPLICA_SFTP_KEY_FILE: sftp.clientKey });
    expect(service.image).toBe("litestream/litestream:0.3.13");
    expect(service.profiles).toEqual(["litestream"]);
    expect(service.user).toBe("10001:10001"); // Kabinet's uid: the -wal and -shm files stay the server's
    expect(service.volumes).toEqual(expect.arrayContaining([expect.stringMatching(/^kabinet_data:\/data(:rw)?$/), expect.stringMatching(/config\/litestream\.yml:\/etc\/litestream\.yml:ro$/)]));
    expect(service.environment).toMatchObject({ KABINET_DATA_DIR: "/data", KABINET_REPLICA_URL: url, KABINET_REPLICA_SFTP_KEY_FILE: "/run/secrets/litestream_sftp_key" });
    expect(secrets.litestream_sftp_key!.file).toBe(sftp.clientKey);

    const script = startupScript(service, { s3Secret: join(backupServer, "no-s3-secret") });
    const replica: Replica = {
      url,
      dir: join(backupServer, "kabinet"),
      // The container's environment, with the key where this machine has it (the drill sets the data dir).
      env: { ...service.environment, KABINET_REPLICA_SFTP_KEY_FILE: sftp.clientKey },
      argv: (command, args) => ["/bin/sh", "-c", script, "litestream", ...(command === "replicate" ? [] : [command]), ...args],
    };
    const drill = await runDrill(replica, { writeMs: 3_000, kill: "server first", graceMs: 2_000 });
    cleanup.push(drill.org.dir, dirname(drill.restoredDataDir));
    report("SFTP replica, server killed first", drill);
    expect(drill.litestreamLog).toContain('"msg":"replicating to","name":"sftp","type":"sftp"');
    expect(drill.lost).toEqual([]);
    await expectRestoredInstallationWorks(drill, "backup");
  });

  test("the service refuses to start without a replica URL, saying which variable to set", () => {
    const { service } = composeLitestream({});
    const r = Bun.spawnSync(["/bin/sh", "-c", startupScript(service, { s3Secret: "/nonexistent" }), "litestream"], {
      env: { PATH: process.env.PATH!, ...service.environment },
      stdout: "pipe",
      stderr: "pipe",
    });
    expect(r.exitCode).toBe(1);
    expect(r.stdout.toString()).toBe("litestream: set KABINET_REPLICA_URL to sftp://USER@HOST:PORT/PATH or s3://BUCKET/PATH (docs/disaster-recovery.md)\n");
  });

  test("the compose service's start-up script replicates to an S3-compatible store with its endpoint and keys, and the runbook restores from it", async () => {
    const work = tempDir("kabinet-s3-");
    cleanup.push(work);
    const store = startS3Store("kabinet-backups", { accessKeyId: "kabinet", secret: "s3-secret-never-on-a-command-line" });
    try {
      const secretFile = join(work, "s3_secret");
      writeFileSync(secretFile, "s3-secret-never-on-a-command-line\n", { mode: 0o400 });
      const url = "s3://kabinet-backups/litestream";
      const { service, secrets } = composeLitestream({
        KABINET_REPLICA_URL: url,
        KABINET_REPLICA_S3_ENDPOINT: store.endpoint,
        KABINET_REPLICA_S3_ACCESS_KEY_ID: "kabinet",
        KABINET_REPLICA_S3_SECRET_KEY_FILE: secretFile,
      });
      expect(service.environment).toMatchObject({ KABINET_REPLICA_URL: url, KABINET_REPLICA_S3_ENDPOINT: store.endpoint, KABINET_REPLICA_S3_ACCESS_KEY_ID: "kabinet" });
      expect(JSON.stringify(service)).not.toContain("s3-secret");
      expect(secrets.litestream_s3_secret!.file).toBe(secretFile);
      const script = startupScript(service, { s3Secret: secretFile });
      const replica: Replica = {
        url,
        env: service.environment,
        snapshotWritten: () => store.keys().some((k) => /^litestream\/generations\/[0-9a-f]+\/snapshots\/.+\.snapshot\.lz4$/.test(k)),
        argv: (command, args) => ["/bin/sh", "-c", script, "litestream", ...(command === "replicate" ? [] : [command]), ...args],
      };
      const drill = await runDrill(replica, { writeMs: 3_000, kill: "server first", graceMs: 2_000 });
      cleanup.push(drill.org.dir, dirname(drill.restoredDataDir));
      report("S3 replica, server killed first", drill);
      expect(drill.litestreamLog).toContain('"msg":"replicating to","name":"s3","type":"s3","sync-interval":500000000,"bucket":"kabinet-backups","path":"litestream"');
      // The key pair from the .env and the secret file, and only it: the store refuses any other signature.
      expect([...store.accessKeyIds]).toEqual(["kabinet"]);
      expect(drill.lost).toEqual([]);
      await expectRestoredInstallationWorks(drill, "backup");
    } finally {
      store.stop();
    }
  });
});
