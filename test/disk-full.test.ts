// A full data disk (a real tmpfs, filled): writes through the app are refused with a clear 503 that says the server's
// storage is full and to try again later (a page, or an htmx fragment), with Retry-After and one log line naming the
// cause and the fix; /readyz says so; reads still work; nothing is corrupted; and once space returns the same write
// succeeds without a restart.
import { afterEach, describe, expect, test } from "bun:test";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { auditHeadFile, verifyAuditLog } from "../src/audit/audit-head.ts";
import { explainStorageFull } from "../src/ops/failures.ts";
import { setUpOrganisation, signedInClient } from "./support/accounts.ts";
import { makeInstallation, type TestInstallation } from "./support/installation.ts";
import { integrityCheck, SERVICE_FORM } from "./support/kabinet-process.ts";
import { mountTinyDisk, type TinyDisk, tinyDisksWork } from "./support/tiny-disk.ts";

let inst: TestInstallation | null = null;
let disk: TinyDisk | null = null;
afterEach(() => {
  // The database first: the disk cannot be unmounted lazily under an open WAL without leaking it.
  for (const close of [() => inst?.close(), () => disk?.unmount()]) close();
  [inst, disk] = [null, null];
});

describe("a full data disk", () => {
  test.skipIf(!tinyDisksWork)("refuses writes with a clear 503, keeps reads and data intact, and recovers without a restart", async () => {
    disk = mountTinyDisk(8192);
    inst = makeInstallation({ KABINET_DATA_DIR: join(disk.dir, "data") });
    const admin = await setUpOrganisation(inst);
    const client = signedInClient(inst, admin);
    const form = { ...SERVICE_FORM, nameEn: "Written when the disk was full" };
    expect((await client.post("/admin/services", { ...SERVICE_FORM, nameEn: "Before" })).status).toBe(303);

    disk.fill();
    const logsBefore = inst.logs.length;
    const page = await client.post("/admin/services", form);
    const html = (await page.text()).replaceAll("&#39;", "'");
    expect(page.status).toBe(503);
    expect(page.headers.get("retry-after")).toBe("60");
    expect(html).toContain("The server's storage is full");
    expect(html).toContain("try again later");
    expect(html).not.toMatch(/SQLITE|at .*\.ts:\d+|Error:/);
    const fragment = await client.post("/admin/services", form, { "hx-request": "true" });
    expect(fragment.status).toBe(503);
    expect((await fragment.text()).replaceAll("&#39;", "'")).toContain("The server's storage is full");
    // The operator's line: the cause and the fix, no stack trace.
    const lines = inst.logs.slice(logsBefore).map((l) => JSON.parse(l) as Record<string, unknown>);
    const failure = lines.find((l) => l.level === "error");
    expect(failure?.msg).toBe("the data disk is full: writes are refused until space is freed");
    expect(String(failure?.cause)).toMatch(/^the disk holding .*\/data is full: free space there/);
    expect(JSON.stringify(failure)).not.toMatch(/\.ts:\d+/);

    console.log(`refused with: ${String(failure?.cause).match(/\((\w+)\)$/)?.[1]}`);
    inst.clock.advance(6_000); // past the readiness probe's cache
    expect(await (await client.get("/readyz")).json()).toEqual({ status: "unavailable", reason: "the data disk is full" });

    // Reads still work.
    const list = await client.get("/admin/services");
    expect(list.status).toBe(200);
    expect(await list.text()).toContain("Before");
    // Nothing is corrupted.
    expect(integrityCheck(join(inst.config.dataDir, "kabinet.db"))).toBe("ok");
    expect(verifyAuditLog({ db: inst.db, vault: inst.vault, headFile: auditHeadFile(inst.config.dataDir) }).ok).toBe(true);

    // Space returns: the same write succeeds, same process.
    disk.free();
    inst.clock.advance(6_000);
    expect((await client.get("/readyz")).status).toBe(200);
    const again = await client.post("/admin/services", form);
    expect(again.status).toBe(303);
    expect(await (await client.get("/admin/services")).text()).toContain("Written when the disk was full");
    expect(integrityCheck(join(inst.config.dataDir, "kabinet.db"))).toBe("ok");
    expect(verifyAuditLog({ db: inst.db, vault: inst.vault, headFile: auditHeadFile(inst.config.dataDir) }).ok).toBe(true);
  });

  test.skipIf(!tinyDisksWork)("what counts as a full disk: SQLITE_FULL and ENOSPC always, an I/O error only while the disk is full, also wrapped", () => {
    disk = mountTinyDisk(1024);
    const dataDir = join(disk.dir, "data");
    mkdirSync(dataDir);
    const ioError = Object.assign(new Error("disk I/O error"), { code: "SQLITE_IOERR_WRITE" });
    const wrapped = new Error("Failed query: insert into ...", { cause: ioError }); // as drizzle wraps the driver's error
    expect(explainStorageFull(ioError, dataDir)).toBeNull(); // room left: a failing disk, not a full one (stays a 500)
    expect(explainStorageFull(Object.assign(new Error("no space"), { code: "ENOSPC" }), dataDir)).toMatch(/^the disk holding .* is full: .*no restart needed \(ENOSPC\)$/);
    expect(explainStorageFull(new Error("x", { cause: Object.assign(new Error("full"), { code: "SQLITE_FULL" }) }), dataDir)).toMatch(/\(SQLITE_FULL\)$/);
    disk.fill();
    expect(explainStorageFull(wrapped, dataDir)).toMatch(/^the disk holding .*\/data is full: .* \(SQLITE_IOERR_WRITE\)$/);
    expect(explainStorageFull(new Error("a bug"), dataDir)).toBeNull();
  });
});
