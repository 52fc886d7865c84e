// Encryption at rest, checked on the bytes that reach the disk: database file and WAL.
import { afterEach, describe, expect, test } from "bun:test";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createPerson, findPersonByEmail, getPerson } from "../src/people/people.ts";
import { people } from "../src/db/schema.ts";
import { eq } from "drizzle-orm";
import { makeInstallation, runCli, type TestInstallation, writeKeyFile } from "./support/installation.ts";

let inst: TestInstallation;
afterEach(() => inst?.close());

const PERSONAL = [
  { email: "Zinaida.Kovalenko-7731@example.org", name: "Зинаида Коваленко-Шестакова", phone: "+7 916 555 73 31" },
  { email: "rumpelstiltskin.q@example.net", name: "Quentin Rumpelstiltskin", phone: "+49 30 9876 5432" },
];

function diskBytes(dir: string): Buffer {
  const files = ["kabinet.db", "kabinet.db-wal"].map((f) => join(dir, "data", f)).filter(existsSync);
  return Buffer.concat(files.map((f) => readFileSync(f)));
}

function needles(value: string): Buffer[] {
  // UTF-8 as stored, and the lower-cased email that normalisation produces, and a distinctive fragment.
  const forms = new Set([value, value.toLowerCase(), value.slice(0, 12)]);
  return [...forms].flatMap((f) => [Buffer.from(f, "utf8"), Buffer.from(f, "utf16le")]);
}

describe("encryption at rest", () => {
  test("no personal value appears in the database file or its WAL", () => {
    inst = makeInstallation();
    for (const p of PERSONAL) expect(createPerson(inst, { role: "client", ...p }, "system")).not.toBeNull();
    const walBefore = diskBytes(inst.dir);
    for (const p of PERSONAL) for (const v of Object.values(p)) for (const n of needles(v)) expect(walBefore.includes(n)).toBe(false);
    inst.db.$client.run("PRAGMA wal_checkpoint(TRUNCATE)");
    const afterCheckpoint = diskBytes(inst.dir);
    expect(afterCheckpoint.length).toBeGreaterThan(4096);
    for (const p of PERSONAL) for (const v of Object.values(p)) for (const n of needles(v)) expect(afterCheckpoint.includes(n)).toBe(false);
    // and nothing personal went to the log either
    const log = inst.logs.join("");
    for (const p of PERSONAL) for (const v of Object.values(p)) expect(log.includes(v)).toBe(false);
  });

  test("values read back, and email lookups work through the blind index", () => {
    inst = makeInstallation();
    const created = createPerson(inst, { role: "specialist", ...PERSONAL[0]! }, "system")!;
    expect(getPerson(inst, created.id)).toMatchObject({ name: PERSONAL[0]!.name, phone: PERSONAL[0]!.phone });
    expect(findPersonByEmail(inst, "  ZINAIDA.kovalenko-7731@EXAMPLE.org")?.id).toBe(created.id);
    expect(findPersonByEmail(inst, "nobody@example.org")).toBeNull();
    expect(createPerson(inst, { role: "client", email: PERSONAL[0]!.email.toUpperCase(), name: "x" }, "system")).toBeNull();
  });

  test("a sealed value copied into another row or another column fails to open", () => {
    inst = makeInstallation();
    const a = createPerson(inst, { role: "client", ...PERSONAL[0]! }, "system")!;
    const b = createPerson(inst, { role: "client", ...PERSONAL[1]! }, "system")!;
    const rowA = inst.db.select().from(people).where(eq(people.id, a.id)).get()!;
    // another column of the same row
    inst.db.$client.query("UPDATE people SET name = ? WHERE id = ?").run(rowA.phone, a.id);
    expect(() => getPerson(inst, a.id)).toThrow(/people\.name of row/);
    // the same column of another row (even if that person's key were the same, the row binding refuses it)
    inst.db.$client.query("UPDATE people SET phone = ? WHERE id = ?").run(rowA.phone, b.id);
    expect(() => getPerson(inst, b.id)).toThrow(/people\.phone of row/);
  });

  test("a flipped bit in a sealed column fails to open", () => {
    inst = makeInstallation();
    const a = createPerson(inst, { role: "client", ...PERSONAL[0]! }, "system")!;
    const row = inst.db.select().from(people).where(eq(people.id, a.id)).get()!;
    const bad = Buffer.from(row.email);
    bad[bad.length - 5]! ^= 0x04;
    inst.db.$client.query("UPDATE people SET email = ? WHERE id = ?").run(bad, a.id);
    expect(() => getPerson(inst, a.id)).toThrow(/people\.email/);
  });

  test("a wrong master key at start is a clear error and leaves the database untouched", () => {
    inst = makeInstallation();
    createPerson(inst, { role: "client", ...PERSONAL[0]! }, "system");
    inst.db.$client.run("PRAGMA wal_checkpoint(TRUNCATE)");
    inst.db.$client.close();
    const before = diskBytes(inst.dir);
    const wrong = writeKeyFile(inst.dir, "wrong.key");
    const r = runCli(["migrate"], { ...inst.env, KABINET_MASTER_KEY_FILE: wrong });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/KABINET_MASTER_KEY_FILE: this master key \(id [0-9a-f]{16}\) does not open this database/);
    expect(diskBytes(inst.dir).equals(before)).toBe(true);

    const garbage = join(inst.dir, "garbage.key");
    writeFileSync(garbage, "hello");
    const g = runCli(["migrate"], { ...inst.env, KABINET_MASTER_KEY_FILE: garbage });
    expect(g.code).toBe(1);
    expect(g.stderr).toContain("KABINET_MASTER_KEY_FILE names");
    expect(g.stderr).toContain("32 random bytes in base64");
  });
});
