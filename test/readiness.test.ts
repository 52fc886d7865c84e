// /readyz answers whether the appliance can do its job: not while every write fails (a real full or read-only disk)
// (a real full disk) or every sign-in would (a system data key that no longer unwraps).
import { afterEach, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { makeInstallation, type TestInstallation } from "./support/installation.ts";
import { mountTinyDisk, type TinyDisk, tinyDisksWork } from "./support/tiny-disk.ts";

let inst: TestInstallation | null = null;
let disk: TinyDisk | null = null;
afterEach(() => {
  inst?.db.$client.close();
  inst = null;
  disk?.unmount();
  disk = null;
});

async function readyz(): Promise<{ status: number; body: unknown }> {
  inst!.clock.advance(6_000); // past the probe's cache
  const r = await inst!.app.request("http://127.0.0.1:8080/readyz");
  return { status: r.status, body: await r.json() };
}

describe("readiness", () => {
  test.skipIf(!tinyDisksWork)("a full disk makes /readyz 503 with a short reason; freed, it is ready again", async () => {
    disk = mountTinyDisk();
    inst = makeInstallation({ KABINET_DATA_DIR: join(disk.dir, "data") });
    expect(await readyz()).toEqual({ status: 200, body: { status: "ready" } });
    disk.fill();
    expect(await readyz()).toEqual({ status: 503, body: { status: "unavailable", reason: "the data disk is full" } });
    disk.free();
    expect(await readyz()).toEqual({ status: 200, body: { status: "ready" } });
  });

  test("a system data key that no longer unwraps (every sign-in would fail) makes it 503", async () => {
    inst = makeInstallation();
    expect((await readyz()).status).toBe(200);
    inst.db.$client.run("UPDATE data_keys SET wrapped = zeroblob(60) WHERE subject = 'index'");
    expect(await readyz()).toEqual({
      status: 503,
      body: { status: "unavailable", reason: "a system data key does not unwrap: restore the data_keys table from a backup" },
    });
  });

  test("the probe runs at most every 5 seconds; between probes the last answer stands", async () => {
    inst = makeInstallation();
    const get = async () => (await inst!.app.request("http://127.0.0.1:8080/readyz")).status;
    expect(await get()).toBe(200);
    const wal = () => require("node:fs").statSync(join(inst!.config.dataDir, "kabinet.db-wal")).size as number;
    const before = wal();
    for (let i = 0; i < 20; i++) expect(await get()).toBe(200);
    expect(wal()).toBe(before); // no write per request
    inst.clock.advance(5_000);
    expect(await get()).toBe(200);
    expect(wal()).toBeGreaterThan(before); // the committed probe write
  });
});
