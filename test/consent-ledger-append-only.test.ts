// The consent ledger is append-only (src/consent/ledger.ts): it is the evidence of what a person agreed to and when.
// Like audit_log, it has database triggers that refuse UPDATE and DELETE (migration 0017): the last test proves them on
// a real database. This structure test also holds the line in the code: nothing under src/ updates or deletes ledger
// rows, by drizzle or by raw SQL, nor deletes people (consent_ledger.person_id cascades on delete, which the trigger
// would then refuse, failing the whole deletion).
import { expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { makeInstallation } from "./support/installation.ts";
import { addPerson, setUpOrganisation } from "./support/accounts.ts";
import { consentToHealthData } from "./support/consent.ts";

const SRC = join(import.meta.dir, "..", "src");

const FORBIDDEN: readonly { what: string; pattern: RegExp }[] = [
  { what: "drizzle update or delete of consentLedger", pattern: /\.(update|delete)\(\s*(schema\.)?consentLedger\b/ },
  { what: "raw SQL update or delete of consent_ledger", pattern: /\b(update|delete\s+from|replace\s+into|insert\s+or\s+replace\s+into)\s+[`"']?(consent_ledger\b|\$\{\s*consentLedger\s*\})/i },
  { what: "drizzle upsert into consentLedger", pattern: /\.insert\(\s*consentLedger\s*\)[^;]*\.onConflictDo(Update|Nothing)/ },
  { what: "deleting people (their ledger entries cascade)", pattern: /\.delete\(\s*(schema\.)?people\s*\)|\bdelete\s+from\s+[`"']?people\b/i },
];

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(path);
    return /\.(ts|tsx)$/.test(e.name) && !/\.test\.tsx?$/.test(e.name) ? [path] : [];
  });
}

test("the patterns catch what they are meant to catch (so the scan below can fail)", () => {
  const caught = (code: string) => FORBIDDEN.some((f) => f.pattern.test(code));
  expect(caught("tx.update(consentLedger).set({ action: 'given' })")).toBe(true);
  expect(caught("db.delete( consentLedger ).where(eq(consentLedger.id, 1))")).toBe(true);
  expect(caught("db.run(sql`DELETE FROM consent_ledger WHERE id = 1`)")).toBe(true);
  expect(caught("sql`update ${consentLedger} set at = 0`")).toBe(true);
  expect(caught("db.insert(consentLedger).values(row).onConflictDoUpdate({ target: consentLedger.id, set: row })")).toBe(true);
  expect(caught("tx.delete(people).where(eq(people.id, id))")).toBe(true);
  expect(caught("db.insert(consentLedger).values(row).run();")).toBe(false);
  expect(caught("db.select().from(consentLedger)")).toBe(false);
});

test("no code path under src/ updates or deletes consent ledger rows", () => {
  const files = sourceFiles(SRC);
  expect(files.length).toBeGreaterThan(100);
  const offences = files.flatMap((file) => {
    const text = readFileSync(file, "utf8");
    return FORBIDDEN.filter((f) => f.pattern.test(text)).map((f) => `${file.slice(SRC.length + 1)}: ${f.what}`);
  });
  expect(offences).toEqual([]);
});

test("the database itself refuses to change or delete a ledger entry", async () => {
  const inst = makeInstallation();
  try {
    const admin = await setUpOrganisation(inst);
    const client = await addPerson(inst, admin.personId, "client");
    consentToHealthData(inst, client.personId);
    const sql = inst.db.$client;
    expect(sql.query("SELECT count(*) AS n FROM consent_ledger").get()).toEqual({ n: 1 });
    expect(() => sql.run("UPDATE consent_ledger SET action = 'withdrawn'")).toThrow("consent_ledger is append-only");
    expect(() => sql.run("DELETE FROM consent_ledger")).toThrow("consent_ledger is append-only");
    expect(sql.query("SELECT action FROM consent_ledger").all()).toEqual([{ action: "given" }]);
  } finally {
    inst.close();
  }
});
