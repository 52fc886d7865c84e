// Replication that silently stops is the failure nobody notices until the restore: Litestream's own metrics
// (config/litestream.yml `addr`, served on the compose network) show it. While the database keeps changing,
// litestream_total_wal_bytes (WAL copied aside locally) grows; litestream_replica_wal_bytes (shipped to the replica)
// grows with it, and stops when the replica cannot be written. An alert on "the first grows, the second does not"
// (KabinetReplicationStalled in config/monitoring/alerts.yml) is built on exactly this, checked here with a replica made unwritable.
import { afterAll, expect, test } from "bun:test";
import { renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { tempDir } from "./support/installation.ts";
import { createService, litestreamBinary, type Organisation, prepareOrganisation, removeKabinetBinary, spawnKabinet, waitLive } from "./support/kabinet-process.ts";
import { hasSnapshot, LITESTREAM_CONFIG, litestreamEnv, until } from "./support/litestream.ts";
import { freePort } from "./support/processes.ts";

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  removeKabinetBinary();
});

function sample(text: string, name: string): number {
  const line = text.split("\n").find((l) => l.startsWith(`${name}{`));
  if (!line) throw new Error(`${name} is not in Litestream's metrics`);
  return Number(line.slice(line.lastIndexOf(" ") + 1));
}

test("Litestream's metrics show replication stalling while the database changes", async () => {
  const org: Organisation = await prepareOrganisation();
  const backupServer = tempDir("kabinet-replica-");
  dirs.push(org.dir, backupServer);
  const replica = { url: `file://${join(backupServer, "kabinet")}`, dir: join(backupServer, "kabinet") };
  const port = await freePort();
  const server = spawnKabinet(["serve"], org.env);
  const litestream = Bun.spawn([litestreamBinary(), "replicate", "-config", LITESTREAM_CONFIG], { env: litestreamEnv(org.dataDir, replica, port), stdout: "ignore", stderr: "inherit" });
  const metrics = async () => await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const write = async (n: number, tag: string) => {
    for (let i = 0; i < n; i++) expect((await createService(org, `${tag}-${i}`))?.status).toBe(303);
  };
  try {
    await waitLive(org.origin, server);
    await until("Litestream's first snapshot", () => hasSnapshot(replica), 20_000, litestream);
    await write(20, "before");
    await Bun.sleep(1_500);
    const healthy = await metrics();
    expect(healthy).toContain(`litestream_replica_wal_bytes{db="${join(org.dataDir, "kabinet.db")}",name="file"}`);
    await write(20, "flowing");
    await Bun.sleep(1_500);
    const flowing = await metrics();
    expect(sample(flowing, "litestream_total_wal_bytes")).toBeGreaterThan(sample(healthy, "litestream_total_wal_bytes"));
    expect(sample(flowing, "litestream_replica_wal_bytes")).toBeGreaterThan(sample(healthy, "litestream_replica_wal_bytes"));

    // The backup server's disk goes away: its directory is now a file nobody can write into.
    renameSync(join(backupServer, "kabinet"), join(backupServer, "kabinet.old"));
    writeFileSync(join(backupServer, "kabinet"), "");
    await Bun.sleep(1_000);
    const stalledFrom = await metrics();
    await write(20, "stalled");
    await Bun.sleep(1_500);
    const stalled = await metrics();
    expect(sample(stalled, "litestream_total_wal_bytes")).toBeGreaterThan(sample(stalledFrom, "litestream_total_wal_bytes"));
    expect(sample(stalled, "litestream_replica_wal_bytes")).toBe(sample(stalledFrom, "litestream_replica_wal_bytes"));
  } finally {
    server.kill("SIGKILL");
    litestream.kill("SIGKILL");
    await Promise.all([server.exited, litestream.exited]);
  }
});
