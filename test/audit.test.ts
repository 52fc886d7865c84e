// The audit log: chained, append-only, verifiable from the CLI.
import { afterEach, describe, expect, test } from "bun:test";
import { recordAudit, verifyAuditChain } from "../src/audit/audit.ts";
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

describe("audit log", () => {
  test("entries chain and verify, from the API and from `kabinet audit verify`", () => {
    inst = makeInstallation();
    append(5);
    expect(verifyAuditChain(inst.db, inst.vault)).toEqual({ ok: true, count: 5 });
    const r = runCli(["audit", "verify"], inst.env);
    expect(r.stdout).toBe("OK: 5 audit entries, chain intact\n");
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
    expect(verifyAuditChain(inst.db, inst.vault)).toEqual({ ok: true, count: 0 });
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
