// The record of processing activities (GDPR art. 30): the map covers every table of the schema (so the record cannot
// go stale), no table holding personal data is declared free of it, and the real app renders the record, in English
// and Russian, as a page and as a Markdown file, with the organisation's name and its administrators as contacts.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { is } from "drizzle-orm";
import { getTableConfig, SQLiteTable } from "drizzle-orm/sqlite-core";
import { processingDocument } from "../src/accountability/processing-document.ts";
import { ACTIVITIES, TABLE_USES } from "../src/accountability/processing.ts";
import * as schema from "../src/db/schema.ts";
import { en } from "../src/i18n/messages.ts";
import { getSettings, saveSettings } from "../src/settings/settings.ts";
import { setUpOrganisation, signedInClient, type TestPerson } from "./support/accounts.ts";
import { makeInstallation, type TestInstallation } from "./support/installation.ts";

const tables = () => (Object.values(schema) as unknown[]).filter((v): v is SQLiteTable => is(v, SQLiteTable)).map((t) => getTableConfig(t));

describe("the map of tables to processing activities", () => {
  test("names every table of the schema, and only tables that exist", () => {
    const inSchema = tables().map((t) => t.name).sort();
    expect(inSchema.length).toBeGreaterThan(30);
    const missing = inSchema.filter((name) => !Object.hasOwn(TABLE_USES, name));
    expect(missing.map((name) => `${name}: add it to TABLE_USES in src/accountability/processing.ts`)).toEqual([]);
    expect(Object.keys(TABLE_USES).filter((name) => !inSchema.includes(name))).toEqual([]);
  });

  test("no table with sealed columns or rows about a person is declared free of personal data", () => {
    const aboutPeople = tables()
      .filter((t) => Object.hasOwn(schema.SEALED_COLUMNS, t.name) || t.foreignKeys.some((fk) => getTableConfig(fk.reference().foreignTable).name === "people"))
      .map((t) => t.name);
    expect(aboutPeople).toContain("client_notes");
    expect(aboutPeople.filter((name) => TABLE_USES[name]?.activity === null)).toEqual([]);
  });

  test("every activity holds at least one table, and health data is named where notes and intake answers live", () => {
    for (const a of ACTIVITIES) expect(Object.values(TABLE_USES).some((u) => u.activity === a)).toBe(true);
    for (const t of ["client_notes", "client_note_versions", "intake_responses"]) expect(TABLE_USES[t]).toMatchObject({ categories: expect.arrayContaining(["health"]) });
  });
});

describe("the record in the app", () => {
  let inst: TestInstallation;
  let admin: TestPerson;
  beforeAll(async () => {
    inst = makeInstallation();
    admin = await setUpOrganisation(inst);
    // A name with Markdown in it: the download must keep it as text.
    saveSettings(inst.db, { ...getSettings(inst.db)!, name: "Clinic *Star* [x](http://evil.example)", address: "1 Main St" });
  }, 60_000);
  afterAll(() => inst.close());

  test("the page lists the controller, every activity with its purpose, basis, categories and retention, and the measures", async () => {
    const r = await signedInClient(inst, admin).get("/admin/accountability/processing");
    expect(r.status).toBe(200);
    const html = await r.text();
    expect(html).toContain("Clinic *Star* [x](http://evil.example)");
    expect(html).toContain("1 Main St");
    expect(html).toContain(`Ada Admin &lt;${admin.email}&gt;`);
    expect([...html.matchAll(/data-testid="activity"/g)]).toHaveLength(ACTIVITIES.length);
    const p = en.accountability.processing;
    for (const a of ACTIVITIES) {
      expect(html).toContain(p.activities[a].name);
      expect(html).toContain(p.activities[a].basis.replaceAll("'", "&#39;"));
    }
    expect(html).toContain("Health data: a special category");
    expect(html).toContain("None: the data stays on the appliance.");
    expect(html).toContain("AES-256-GCM");
    expect(html).toContain("not purged (no period set)"); // the installation's retention settings, none set yet
    expect(html).toContain("<code>services</code>");
  });

  test("with the organisation's retention periods, the time limits are those periods", () => {
    const doc = processingDocument(inst, en, { notes: { deleteAfterDays: 9125, keepAtLeastDays: 9125 }, chat: { deleteAfterDays: 365, keepAtLeastDays: null }, files: { deleteAfterDays: null, keepAtLeastDays: null } });
    const limits = (name: string) => doc.activities.find((a) => a.name === name)!.facts.find(([label]) => label === en.accountability.processing.retentionLabel)![1];
    expect(limits("Client records")).toContain("Session notes: deleted after 9125 days; kept at least 9125 days after the client's last appointment or their newest record of the kind, whichever is later (counted from the client's last appointment or the last edit of a note; an erased client's notes go at the next run).");
    expect(limits("Client records")).toContain("Intake answers: as set by the organisation");
    expect(limits("Online consultations")).toContain("Chat: deleted after 365 days (counted from when the room closed, or expired if nobody closed it).");
    expect(limits("Online consultations")).toContain("Shared files: not purged (no period set).");
    expect(limits("Security and accountability")).toContain("Audit log: kept whole");
    expect(limits("Online consultations")).toContain("destroys their key");
  });

  test("in Russian", async () => {
    const c = signedInClient(inst, admin);
    c.cookies.set("kabinet_lang", "ru");
    const html = await (await c.get("/admin/accountability/processing")).text();
    expect(html).toContain("Реестр операций обработки");
    expect(html).toContain("Карты клиентов");
    expect(html).toContain("Данные о здоровье: специальная категория");
  });

  test("the Markdown download holds the same record, with the organisation's name kept as text", async () => {
    const r = await signedInClient(inst, admin).get("/admin/accountability/processing/record.md");
    expect(r.status).toBe(200);
    expect(r.headers.get("content-type")).toContain("text/markdown");
    expect(r.headers.get("content-disposition")).toMatch(/^attachment; filename="processing-record-\d{4}-\d{2}-\d{2}\.md"$/);
    const md = await r.text();
    expect(md.startsWith("# Record of processing activities\n")).toBe(true);
    expect(md).toContain("## Processing activity: Client records");
    expect(md).toContain("Clinic \\*Star\\* \\[x\\]\\(http://evil\\.example\\)");
    expect(md).not.toContain("[x](http");
    for (const name of Object.keys(TABLE_USES)) expect(md.includes(name.replaceAll("_", "\\_")) || md.includes(`\`${name}\``) ? name : `${name} missing`).toBe(name);
    expect(md).toContain(admin.email.replaceAll(".", "\\."));
  });
});
