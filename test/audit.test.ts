// The audit log: chained, append-only, verifiable from the CLI.
import { afterEach, describe, expect, test } from "bun:test";
import { readFileSync, unlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { AuditHeadTracker, auditHeadFile, startAuditHeadRecorder } from "../src/audit/audit-head.ts";
import { recordAudit, verifyAuditChain } from "../src/audit/audit.ts";
import { setUpOrganisation, signedInClient } from "./support/accounts.ts";
import { makeInstallation, runCli, type TestInstallation } from "./support/installation.ts";

let inst: TestInstallation;
afterEach(() => inst?.close());

function append(n: number): void {
  for (let i = 0; i < n; i++) {
    inst.db.transaction((tx) => recordAudit(tx, inst.vault, { actor: "system", action: "test.event", target: `t${i}`, details: { i } }), {
      behavior: "immediate",
    });
  }
}

/** Runs a change the triggers refuse, then puts the trigger back exactly as it was: only the data shows it. */
function bypassTrigger(kind: "update" | "delete", statement: string): void {
  inst.db.$client.run(`DROP TRIGGER audit_log_no_${kind}`);
  inst.db.$client.run(statement);
  inst.db.$client.run(`CREATE TRIGGER audit_log_no_${kind} BEFORE ${kind.toUpperCase()} ON audit_log BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END`);
}

describe("audit log", () => {
  test("a process's first check walks the whole chain: an old entry edited while no process watched is found", () => {
    inst = makeInstallation();
    append(6);
    expect(inst.auditHead.checkAndRecord(inst.clock.now()).ok).toBe(true); // head recorded at 6 entries
    bypassTrigger("update", "UPDATE audit_log SET target = 'someone-else' WHERE id = 2");
    const nextStart = new AuditHeadTracker({ db: inst.db, vault: inst.vault, headFile: auditHeadFile(inst.config.dataDir) });
    expect(nextStart.check()).toMatchObject({ ok: false, brokenId: 2 });
  });

  test("entries chain and verify, from the API and from `kabinet audit verify`", () => {
    inst = makeInstallation();
    append(5);
    expect(verifyAuditChain(inst.db, inst.vault)).toMatchObject({ ok: true, head: { count: 5 } });
    const r = runCli(["audit", "verify"], inst.env);
    expect(r.stdout).toMatch(/^OK: 5 audit entries, chain intact\nhead 5:[0-9a-f]{16} \(includes the head recorded at [^)]+\)\n$/);
    expect(r.code).toBe(0);
  });

  test("an entry is written only with its transaction", () => {
    inst = makeInstallation();
    expect(() =>
      inst.db.transaction((tx) => {
        recordAudit(tx, inst.vault, { actor: "system", action: "test.rolled-back" });
        throw new Error("the change failed");
      }),
    ).toThrow("the change failed");
    expect(verifyAuditChain(inst.db, inst.vault)).toMatchObject({ ok: true, head: { count: 0 } });
  });

  test("the database refuses UPDATE and DELETE", () => {
    inst = makeInstallation();
    append(2);
    expect(() => inst.db.$client.run("UPDATE audit_log SET action = 'x' WHERE id = 1")).toThrow("audit_log is append-only");
    expect(() => inst.db.$client.run("DELETE FROM audit_log WHERE id = 2")).toThrow("audit_log is append-only");
  });

  test("tampering after dropping the trigger is found, and verify names the entry", () => {
    inst = makeInstallation();
    append(6);
    inst.db.$client.run("DROP TRIGGER audit_log_no_update");
    inst.db.$client.run(`UPDATE audit_log SET target = 'someone-else' WHERE id = 4`);
    expect(verifyAuditChain(inst.db, inst.vault)).toMatchObject({ ok: false, brokenId: 4, count: 3 });
    const r = runCli(["audit", "verify"], inst.env);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("BROKEN at entry 4");
  });

  test("removing an entry in the middle is found", () => {
    inst = makeInstallation();
    append(5);
    inst.db.$client.run("DROP TRIGGER audit_log_no_delete");
    inst.db.$client.run("DELETE FROM audit_log WHERE id = 3");
    expect(verifyAuditChain(inst.db, inst.vault)).toMatchObject({ ok: false, brokenId: 4, reason: "entries 3–3 are missing" });
  });

  test("a forged entry with a recomputed plain hash is found (the MAC needs the wrapped audit key)", () => {
    inst = makeInstallation();
    append(3);
    inst.db.$client.run("DROP TRIGGER audit_log_no_update");
    const row = inst.db.$client.query("SELECT mac FROM audit_log WHERE id = 2").get() as { mac: Uint8Array };
    const forged = new Bun.CryptoHasher("sha256").update(row.mac).digest();
    inst.db.$client.query("UPDATE audit_log SET mac = ? WHERE id = 3").run(forged);
    expect(verifyAuditChain(inst.db, inst.vault)).toMatchObject({ ok: false, brokenId: 3 });
  });
});

describe("audit head: what the chain alone cannot show", () => {
  const record = () => inst.auditHead.checkAndRecord(inst.clock.now());
  const deleteEntries = (where: string) => bypassTrigger("delete", `DELETE FROM audit_log WHERE ${where}`);

  test("the running server writes the head to its log and records it in the data dir", () => {
    inst = makeInstallation();
    append(3);
    const recorder = startAuditHeadRecorder(inst.auditHead, inst.log, inst.clock, 60_000);
    append(1);
    recorder.stop(); // records and logs the final head
    const head = /^head (\S+)/m.exec(runCli(["audit", "verify"], inst.env).stdout)?.[1];
    const logged = inst.logs.filter((l) => l.includes('"msg":"audit head"')).map((l) => JSON.parse(l) as { entries: number; head: string });
    expect(logged.at(0)).toMatchObject({ entries: 3 });
    expect(logged.at(-1)).toEqual(expect.objectContaining({ entries: 4, head }));
    expect(JSON.parse(readFileSync(join(inst.config.dataDir, "audit-head.json"), "utf8"))).toMatchObject({ count: 4 });
  });

  test("cutting off the newest entries is found against the head the appliance recorded", () => {
    inst = makeInstallation();
    append(5);
    expect(record()).toMatchObject({ ok: true, count: 5 });
    deleteEntries("id > 3");
    const r = runCli(["audit", "verify"], inst.env);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^BROKEN: the log holds 3 entries but 5 were recorded at \S+: the newest entries were removed\n$/);
    expect(inst.auditHead.check()).toMatchObject({ ok: false, brokenId: null });
  });

  test("deleting every entry is found", () => {
    inst = makeInstallation();
    append(4);
    record();
    deleteEntries("1 = 1");
    const r = runCli(["audit", "verify"], inst.env);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("BROKEN: the log holds 0 entries but 4 were recorded");
  });

  test("a rewritten tail of the same length is found, and so is an edited or deleted head file", () => {
    inst = makeInstallation();
    append(3);
    record();
    deleteEntries("id = 3");
    append(1); // a new, validly chained entry 3 in place of the old one
    expect(runCli(["audit", "verify"], inst.env).stdout).toContain("BROKEN at entry 3: it differs from the head recorded at");

    const file = join(inst.config.dataDir, "audit-head.json");
    const recorded = JSON.parse(readFileSync(file, "utf8")) as { count: number };
    writeFileSync(file, JSON.stringify({ ...recorded, count: 2 }));
    expect(runCli(["audit", "verify"], inst.env).stdout).toContain("does not carry a valid signature");
    unlinkSync(file);
    const missing = runCli(["audit", "verify"], inst.env);
    expect(missing.code).toBe(1);
    expect(missing.stdout).toContain("BROKEN: no recorded head (audit-head.json in the data dir is missing)");
  });

  test("dropped append-only triggers are reported by `audit verify` and re-created, audited, by the next start", () => {
    inst = makeInstallation();
    append(2);
    inst.db.$client.run("DROP TRIGGER audit_log_no_update");
    inst.db.$client.run("DROP TRIGGER audit_log_no_delete");
    const r = runCli(["audit", "verify"], inst.env);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("BROKEN: the append-only triggers audit_log_no_update and audit_log_no_delete are missing or altered");

    // A trigger re-created with a harmless body counts as missing too.
    inst.db.$client.run("CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log BEGIN SELECT 1; END");
    expect(runCli(["audit", "verify"], inst.env).stdout).toContain("audit_log_no_update and audit_log_no_delete");

    expect(runCli(["migrate"], inst.env).code).toBe(0); // any start that may write
    expect(() => inst.db.$client.run("DELETE FROM audit_log WHERE id = 1")).toThrow("audit_log is append-only");
    const after = runCli(["audit", "verify"], inst.env);
    expect(after.stdout).toMatch(/^OK: 3 audit entries/);
    const last = inst.db.$client.query("SELECT action, details FROM audit_log ORDER BY id DESC LIMIT 1").get();
    expect(last).toEqual({ action: "audit.triggers-restored", details: '{"triggers":"audit_log_no_update,audit_log_no_delete"}' });
  });
});

describe("audit page", () => {
  test("shows the signed head `audit verify` prints, and verifies only entries written since the last view", async () => {
    inst = makeInstallation();
    const admin = await setUpOrganisation(inst);
    const c = signedInClient(inst, admin);
    append(5);
    const first = await (await c.get("/admin/audit")).text();
    const verify = runCli(["audit", "verify"], inst.env);
    const head = /^head (\d+:[0-9a-f]{16})/m.exec(verify.stdout)?.[1];
    expect(head).toBeDefined();
    expect(first).toContain(`Head (entries:signature) ${head}.`);

    // An old entry altered after the page verified it: the page checks only what is new, `audit verify` everything.
    bypassTrigger("update", "UPDATE audit_log SET target = 'someone-else' WHERE id = 2");
    append(1);
    const second = await (await c.get("/admin/audit")).text();
    expect(second).toMatch(/Chain verified: \d+ entries, nothing altered\./);
    const full = runCli(["audit", "verify"], inst.env);
    expect(full.code).toBe(1);
    expect(full.stdout).toContain("BROKEN at entry 2");

    // A new entry altered before the page saw it is caught by the page.
    append(1);
    const newest = (inst.db.$client.query("SELECT MAX(id) AS id FROM audit_log").get() as { id: number }).id;
    bypassTrigger("update", `UPDATE audit_log SET action = 'x' WHERE id = ${newest}`);
    const third = await (await c.get("/admin/audit")).text();
    expect(third).toContain(`Chain BROKEN at entry ${newest}`);
    expect(third).not.toContain("data-testid=\"audit-head\"");
  });
});
