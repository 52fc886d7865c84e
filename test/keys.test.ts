// Master key rotation: every data key re-wrapped, resumable, the server opens with the new key afterwards.
import { afterEach, describe, expect, test } from "bun:test";
import { Database } from "bun:sqlite";
import { undoLastMigration } from "./support/undo-migration.ts";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseMasterKey } from "../src/crypto/master-key.ts";
import { createPerson, getPerson } from "../src/people/people.ts";
import { rotateMasterKey, Vault } from "../src/vault/vault.ts";
import { makeInstallation, runCli, type TestInstallation, writeKeyFile } from "./support/installation.ts";

let inst: TestInstallation;
afterEach(() => inst?.close());

const key = (path: string) => {
  const k = parseMasterKey(readFileSync(path, "utf8"));
  if (!k.ok) throw new Error(k.problem);
  return k.value;
};

describe("keys rotate", () => {
  test("re-wraps every data key; interrupted, it resumes; then only the new key is needed", () => {
    inst = makeInstallation();
    const ids = Array.from({ length: 7 }, (_, i) => createPerson(inst, { role: "client", email: `p${i}@example.org`, name: `Person ${i}` }, "system")!.id);
    const oldKey = key(inst.keyFile);
    const newKeyFile = writeKeyFile(inst.dir, "new.key");
    const newKey = key(newKeyFile);

    // Interrupt after the first batch of 3, as a crash would.
    expect(() =>
      rotateMasterKey(inst.db, [oldKey, newKey], newKey, {
        batchSize: 3,
        onBatch: () => {
          throw new Error("power cut");
        },
      }),
    ).toThrow("power cut");

    // Mid-rotation: the new key alone is refused, naming the old key's id; with the old one as previous it opens.
    const midway = Vault.open(inst.db, newKey);
    expect(midway.ok).toBe(false);
    expect(!midway.ok && midway.problem).toContain(oldKey.id);
    const both = Vault.open(inst.db, newKey, [oldKey]);
    expect(both.ok).toBe(true);
    if (both.ok) expect(getPerson({ db: inst.db, vault: both.vault }, ids[6]!)?.name).toBe("Person 6");

    // Resume from the CLI; it finishes the rest and audits the rotation.
    const r = runCli(["keys", "rotate", "--new-key-file", newKeyFile], inst.env);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`All data keys are now wrapped by master key ${newKey.id}`);

    // The old key alone no longer opens it; the new one does, and every value reads back.
    expect(Vault.open(inst.db, oldKey).ok).toBe(false);
    const after = Vault.open(inst.db, newKey);
    expect(after.ok).toBe(true);
    if (after.ok) for (const [i, id] of ids.entries()) expect(getPerson({ db: inst.db, vault: after.vault }, id)?.name).toBe(`Person ${i}`);

    const verify = runCli(["audit", "verify"], { ...inst.env, KABINET_MASTER_KEY_FILE: newKeyFile });
    expect(verify.code).toBe(0);
    expect(verify.stdout).toMatch(/^OK: 8 audit entries/);
  });

  test("bad usage exits 2 with usage; a bad new key exits 1 naming the flag", () => {
    inst = makeInstallation();
    const r = runCli(["keys", "rotate"], inst.env);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("keys rotate needs --new-key-file PATH");
    expect(r.stderr).toContain("Usage: kabinet");
    const bad = runCli(["keys", "rotate", "--new-key-file", inst.keyFile + ".missing"], inst.env);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain("--new-key-file names");
  });
});

describe("a wrong or damaged key changes nothing", () => {
  const migrations = (path: string) => {
    const db = new Database(path, { readonly: true });
    const n = (db.query("SELECT COUNT(*) AS n FROM __drizzle_migrations").get() as { n: number }).n;
    db.close();
    return n;
  };

  test("a wrong master key is refused before pending migrations run, with one line", () => {
    inst = makeInstallation();
    createPerson(inst, { role: "client", email: "c@example.org", name: "Client" }, "system");
    const path = join(inst.config.dataDir, "kabinet.db");
    inst.db.$client.close();
    undoLastMigration(path);
    const before = migrations(path);
    const bytes = Bun.hash(readFileSync(path));

    const wrong = writeKeyFile(inst.dir, "wrong.key");
    for (const args of [["migrate"], ["serve"], ["admin", "create", "--email", "a@example.org", "--name", "A"]]) {
      const r = runCli(args, { ...inst.env, KABINET_MASTER_KEY_FILE: wrong });
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/^kabinet: KABINET_MASTER_KEY_FILE: this master key \(id [0-9a-f]+\) does not open this database[^\n]*\n$/);
    }
    expect(migrations(path)).toBe(before);
    expect(Bun.hash(readFileSync(path))).toBe(bytes);
    expect(runCli(["migrate"], inst.env)).toMatchObject({ code: 0, stdout: "applied 1 migrations; database is up to date\n" });
  });

  test.each(["org", "index", "audit"])("a damaged %s key stops every command with one line, before anything is written", (subject) => {
    inst = makeInstallation();
    inst.db.$client.run("UPDATE data_keys SET wrapped = zeroblob(60) WHERE subject = ?", [subject]);
    inst.db.$client.run("PRAGMA wal_checkpoint(TRUNCATE)");
    const path = join(inst.config.dataDir, "kabinet.db");
    const bytes = Bun.hash(readFileSync(path));
    for (const args of [["audit", "verify"], ["migrate"], ["keys", "rotate", "--new-key-file", writeKeyFile(inst.dir, "next.key")]]) {
      const r = runCli(args, inst.env);
      expect(r.stderr).toBe(
        `kabinet: KABINET_MASTER_KEY_FILE: the "${subject}" data key in the database does not unwrap with master key ${key(inst.keyFile).id}: ` +
          "the stored key is damaged. Restore the database from a backup (the data_keys table)\n",
      );
      expect(r.code).toBe(1);
    }
    expect(Bun.hash(readFileSync(path))).toBe(bytes);
  });
});
