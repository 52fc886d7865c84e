// docs/disaster-recovery.md, "The server died: restore on a new machine", run end to end on one machine: the real
// server and `litestream replicate` with config/litestream.yml, acknowledged writes over HTTP, SIGKILL, the data dir
// deleted, `litestream restore` into a new data dir, and the server started there with the same master key.
import { afterEach, describe, expect, test } from "bun:test";
import { rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { tempDir } from "./support/installation.ts";
import { integrityCheck, runKabinet, spawnKabinet, waitLive } from "./support/kabinet-process.ts";
import { type Drill, type Replica, runDrill } from "./support/litestream.ts";
import { stop } from "./support/processes.ts";

const cleanup: string[] = [];
afterEach(() => {
  for (const d of cleanup.splice(0)) rmSync(d, { recursive: true, force: true });
});

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
  const lastAck = drill.acked.at(-1)!.at;
  console.log(
    `${label}: ${drill.acked.length} acknowledged writes, ${drill.lost.length} lost; recovery point ${Math.round(drill.recoveryPointMs)} ms ` +
      `(last acknowledgement ${Math.round(drill.killedAt - lastAck)} ms before the kill)`,
  );
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
});
