// The SIGKILL loop: the real server killed hundreds of times while a client writes over HTTP. An acknowledged write
// (a 303 after the commit) must survive every kill: synchronous = FULL fsyncs the WAL before the commit returns, and
// a restart recovers the WAL. After the loop, nothing acknowledged is missing, the file passes SQLite's integrity
// check, and the audit chain (one entry per write, in the same transaction) verifies.
import { afterAll, expect, test } from "bun:test";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { createService, integrityCheck, type Organisation, prepareOrganisation, removeKabinetBinary, runKabinet, serviceNames, spawnKabinet, waitLive } from "./support/kabinet-process.ts";

const KILLS = 200;
/** Stop early rather than blow CI's budget on a slow machine; the test then fails on the count. */
const LOOP_BUDGET_MS = 110_000;

let org: Organisation | null = null;
afterAll(() => {
  if (org) rmSync(org.dir, { recursive: true, force: true });
  removeKabinetBinary();
});

test(`${KILLS} SIGKILLs during acknowledged writes: none lost, integrity ok, audit chain verifies`, async () => {
  org = await prepareOrganisation();
  const log = join(org.dir, "server.log");
  const acked: string[] = [];
  let kills = 0;
  let interrupted = 0; // requests cut off by a kill: proof the kills land during writes
  let n = 0;
  const started = performance.now();
  while (kills < KILLS && performance.now() - started < LOOP_BUDGET_MS) {
    const server = spawnKabinet(["serve"], org.env, log);
    await waitLive(org.origin, server);
    let writing = true;
    const writer = async () => {
      while (writing) {
        const name = `k${kills}-${n++}`;
        const r = await createService(org!, name);
        if (r === null) {
          interrupted++; // killed mid-request: not acknowledged, may or may not be there
          return;
        }
        if (r.status !== 303) throw new Error(`${name}: ${r.status}`);
        acked.push(name);
      }
    };
    const writers = [writer(), writer()];
    await Bun.sleep(30 + Math.random() * 60);
    server.kill("SIGKILL");
    writing = false;
    await Promise.all([server.exited, ...writers]);
    kills++;
  }
  const seconds = (performance.now() - started) / 1000;
  console.log(`${kills} kills in ${seconds.toFixed(1)} s, ${acked.length} acknowledged writes, ${interrupted} cut off by a kill`);
  expect(kills).toBe(KILLS);
  expect(interrupted).toBeGreaterThan(KILLS); // two writers: most kills cut off at least one request
  expect(acked.length).toBeGreaterThan(2 * KILLS);

  const db = join(org.dataDir, "kabinet.db");
  expect(integrityCheck(db)).toBe("ok");
  const present = serviceNames(db);
  expect(acked.filter((name) => !present.has(name))).toEqual([]);
  const verify = runKabinet(["audit", "verify"], org.env);
  expect(verify.stdout).toMatch(/^OK: \d+ audit entries, chain intact/);
  expect(verify.code).toBe(0);
}, 150_000);
