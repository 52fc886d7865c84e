// CSV import of people through the real app: the preview judges every row (malformed rows, formula cells,
// duplicates of someone here and within the file), semicolons, a BOM and Russian headers are read, nothing is written
// before the import is confirmed, and the import adds all its rows or none.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { invitePerson } from "../src/accounts/people-admin.ts";
import { findPersonByEmail, getPerson, readingOf } from "../src/people/people.ts";
import { jobWorker } from "../src/worker.ts";
import { addPerson, setUpOrganisation, signedInClient, type TestPerson } from "./support/accounts.ts";
import type { TestClient } from "./support/client.ts";
import { makeInstallation, type TestInstallation } from "./support/installation.ts";

let inst: TestInstallation;
let admin: TestPerson;
let staff: TestPerson;
let specialist: TestPerson;
let existing: TestPerson;

beforeAll(async () => {
  inst = makeInstallation();
  admin = await setUpOrganisation(inst);
  staff = await addPerson(inst, admin.personId, "staff");
  specialist = await addPerson(inst, admin.personId, "specialist");
  existing = await addPerson(inst, admin.personId, "client", { name: "Already Here" });
}, 60_000);
afterAll(() => inst.close());

const count = (sql: string, ...args: string[]) => (inst.db.$client.query(sql).get(...args) as { n: number }).n;
const peopleCount = () => count("SELECT count(*) AS n FROM people");
const uploadsCount = () => count("SELECT count(*) AS n FROM csv_imports");

/** A multipart upload as a browser sends it, with the client's cookies and our Origin. */
async function upload(c: TestClient, kind: "clients" | "specialists", content: string | Uint8Array<ArrayBuffer>): Promise<Response> {
  const form = new FormData();
  form.set("file", new File([content], "people.csv", { type: "text/csv" }));
  const cookie = [...c.cookies].map(([k, v]) => `${k}=${v}`).join("; ");
  return inst.app.request(new URL(`/admin/imports/${kind}`, c.origin).toString(), { method: "POST", body: form, headers: { cookie, origin: c.origin } });
}

/** Uploads and opens the preview: its path and page. */
async function preview(c: TestClient, kind: "clients" | "specialists", content: string): Promise<{ path: string; html: string }> {
  const r = await upload(c, kind, content);
  expect(r.status).toBe(303);
  const path = r.headers.get("location")!;
  const page = await c.get(path);
  expect(page.status).toBe(200);
  return { path, html: await page.text() };
}

/** Each row's outcome as the preview shows it: row number → [kind, text of the row]. */
function outcomes(html: string): Map<number, [string, string]> {
  const rows = [...html.matchAll(/<tr data-row="(\d+)" data-outcome="([a-z]+)">([\s\S]*?)<\/tr>/g)];
  return new Map(rows.map((m) => [Number(m[1]), [m[2]!, m[3]!.replace(/<[^>]+>/g, " ").replace(/&#39;/g, "'").replace(/&quot;/g, '"')]]));
}

/** The confirmation form's fields as the page renders them. */
function confirmForm(html: string): Record<string, string> {
  const form = html.slice(html.indexOf('<input type="hidden" name="col0"'));
  const fields = Object.fromEntries([...form.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)"/g)].map((m) => [m[1]!, m[2]!]));
  return fields;
}

describe("the preview", () => {
  test("judges each row: malformed rows, formula cells, duplicates here and within the file; nothing is written", async () => {
    const c = signedInClient(inst, admin);
    const before = { people: peopleCount(), audit: count("SELECT count(*) AS n FROM audit_log WHERE action IN ('person.create', 'invitation.create')") };
    const file = [
      "name,email,phone",
      "Anna Petrova,anna@example.org,+7 900 123-45-67", // 2 added
      ",nameless@example.org,", // 3 missing name
      "Boris Badmail,not-an-email,", // 4 malformed email
      "Carl Cells,carl@example.org,1,extra", // 5 wrong column count
      'Da"vid,david@example.org,', // 6 a quote inside an unquoted cell
      "=cmd|' /C calc'!A0,f1@example.org,", // 7 formula
      "+1,f2@example.org,", // 8 formula
      "-2,f3@example.org,", // 9 formula
      "@SUM(A1:A9),f4@example.org,", // 10 formula
      "\tTabbed,f5@example.org,", // 11 a tab first
      "Phone Formula,f6@example.org,=1+1", // 12 formula in the phone column
      `Already Here,${existing.email.toUpperCase()},`, // 13 someone here, whatever the case
      "Anna Again,ANNA@example.org,", // 14 repeats row 2
      '"Olga, Quoted",olga@example.org,"+44 20 7946 0958"', // 15 added: a quoted comma
      '"Unclosed,unclosed@example.org,', // 16 a quote never closed: the rest of the file
      "Never Read,never@example.org,",
    ].join("\n");
    const { html } = await preview(c, "clients", file);
    const rows = outcomes(html);
    const kindOf = (n: number) => rows.get(n)?.[0];
    const textOf = (n: number) => rows.get(n)?.[1] ?? "";
    expect([2, 15].map(kindOf)).toEqual(["add", "add"]);
    expect(textOf(15)).toContain("Olga, Quoted");
    expect(kindOf(3)).toBe("error");
    expect(textOf(3)).toContain("Name: missing");
    expect(textOf(4)).toContain("Email: not an email address");
    expect(kindOf(5)).toBe("unreadable");
    expect(textOf(5)).toContain("different number of cells");
    expect(kindOf(6)).toBe("unreadable");
    expect(textOf(6)).toContain("a quote inside a cell");
    for (const n of [7, 8, 9, 10, 11]) {
      expect(kindOf(n)).toBe("error");
      expect(textOf(n)).toContain("Name: starts with = + - @ or a tab, which a spreadsheet runs as a formula: refused");
    }
    expect(textOf(12)).toContain("Phone: starts with = + - @");
    expect(kindOf(13)).toBe("existing");
    expect(kindOf(14)).toBe("repeat");
    expect(textOf(14)).toContain("Same email as row 2");
    expect(kindOf(16)).toBe("unreadable");
    expect(textOf(16)).toContain("never closed");
    expect(rows.has(17)).toBe(false);
    expect(html).toContain("2 will be added, 1 already here, 1 repeated in the file, 11 with errors.");
    expect(html).toContain("Import 2");
    expect(confirmForm(html).rows).toBe("2,15");
    // Nothing is written but the sealed upload: no person, no invitation, the file's names not in clear.
    expect(peopleCount()).toBe(before.people);
    expect(count("SELECT count(*) AS n FROM audit_log WHERE action IN ('person.create', 'invitation.create')")).toBe(before.audit);
    const content = inst.db.$client.query("SELECT content FROM csv_imports ORDER BY created_at DESC LIMIT 1").get() as { content: Uint8Array };
    expect(Buffer.from(content.content).includes("Anna Petrova")).toBe(false);
  });

  test("reads semicolons, a byte-order mark and Russian headers, and guesses the mapping from them", async () => {
    const c = signedInClient(inst, admin);
    const file = "\uFEFFФИО;Электронная почта;Телефон;Язык;Часовой пояс;Примечание\r\nИванов Иван Иванович;ivan@example.org;+7 (900) 000-00-01;русский;Europe/Moscow;VIP\r\nSmith, John;john@example.org;;en;;\r\n";
    const { html } = await preview(c, "clients", file);
    const selected = (i: number) => html.match(new RegExp(`name="col${i}"[^>]*>[\\s\\S]*?<option value="([a-zA-Z]+)" selected`))?.[1];
    expect([0, 1, 2, 3, 4, 5].map(selected)).toEqual(["name", "email", "phone", "language", "timeZone", "ignore"]);
    const rows = outcomes(html);
    expect(rows.get(2)).toEqual(["add", expect.stringContaining("Иванов Иван Иванович")]);
    expect(rows.get(3)).toEqual(["add", expect.stringContaining("Smith, John")]); // a comma inside a semicolon file
  });

  test("tells a semicolon file from its rows, not from a header whose unquoted commas outnumber its semicolons (Excel in Russian)", async () => {
    const c = signedInClient(inst, admin);
    const selected = (html: string, i: number) => html.match(new RegExp(`name="col${i}"[^>]*>[\\s\\S]*?<option value="([a-zA-Z]+)" selected`))?.[1];
    // Excel quotes a cell only when it holds the separator: with ";" the commas of the header stay bare.
    const plain = "\uFEFFФамилия, имя, отчество;E-mail\r\nСидорова Анна Павловна;sidorova@example.org\r\nКозлов Пётр;kozlov@example.org\r\n";
    const one = await preview(c, "clients", plain);
    expect([0, 1].map((i) => selected(one.html, i))).toEqual(["name", "email"]);
    expect(one.html).not.toContain('data-testid="mapping-problems"');
    expect([...outcomes(one.html).values()].map((o) => o[0])).toEqual(["add", "add"]);
    // Commas in every row too: both readings are consistent; the one under which a header names the email wins.
    const commas = "Фамилия, имя, отчество;E-mail\r\nОрлова, Вера, Ильинична;orlova@example.org\r\n";
    const two = await preview(c, "clients", commas);
    expect(outcomes(two.html).get(2)).toEqual(["add", expect.stringContaining("Орлова, Вера, Ильинична")]);
  });

  test("without an email column the preview says which separator it read and how to save the file as CSV UTF-8", async () => {
    const c = signedInClient(inst, admin);
    // Saved as "Unicode text" (tab-separated) instead of CSV: one column.
    const { path, html } = await preview(c, "clients", "name\temail\nTab Tabbed\ttab@example.org\n");
    expect(html).toContain('data-testid="separator-hint"');
    expect(html).toContain("The file was read as separated by commas (,), into 1 column");
    expect(html).toContain("CSV UTF-8 (comma delimited)");
    const ru = await (await c.get(path, { "accept-language": "ru" })).text();
    expect(ru).toContain("Файл прочитан как разделённый запятыми (,), столбцов: 1");
    expect(ru).toContain("CSV UTF-8");
  });

  test("a phone needs 7 to 15 digits: \"+7 (900) 1\" is refused as no phone, not as a formula", async () => {
    const c = signedInClient(inst, admin);
    const file = ["name;email;phone", "Short Phone;short.phone@example.org;+7 (900) 1", "Long Phone;long.phone@example.org;+7 900 123 45 67 89 01 2", "Good Phone;good.phone@example.org;+7 (900) 123-45-67", "Local Phone;local.phone@example.org;123-45-67"].join("\n");
    const { html } = await preview(c, "clients", file);
    const rows = outcomes(html);
    for (const n of [2, 3]) {
      expect(rows.get(n)?.[0]).toBe("error");
      expect(rows.get(n)?.[1]).toContain("Phone: not a phone number: write 7 to 15 digits, e.g. +7 900 123-45-67");
    }
    expect([4, 5].map((n) => rows.get(n)?.[0])).toEqual(["add", "add"]);
  });

  test("refuses a cell where a part after a comma, semicolon or tab starts like a formula (one cell of its own in a spreadsheet that splits there)", async () => {
    const c = signedInClient(inst, admin);
    const file = 'name,email\n"Ivan;=cmd|\' /C calc\'!A0",ivan.semi@example.org\n"Olga, +HYPERLINK(1)",olga.comma@example.org\n"Petrov, Pyotr",pyotr.fine@example.org\n';
    const { html } = await preview(c, "clients", file);
    const rows = outcomes(html);
    for (const n of [2, 3]) {
      expect(rows.get(n)?.[0]).toBe("error");
      expect(rows.get(n)?.[1]).toContain("Name: has = + - @ just after a comma, semicolon or tab");
    }
    expect(rows.get(4)?.[0]).toBe("add");
    expect(confirmForm(html).rows).toBe("4");
  });

  test("numbers rows as the spreadsheet does: a blank line and a line of separators only are rows, a quoted line break is not", async () => {
    const c = signedInClient(inst, admin);
    const file = "name;email\r\nRow Two;row.two@example.org\r\n\r\n;\r\n\"Row\r\nFive\";row.five@example.org\r\nRow Six;not-an-email\r\n";
    const { html } = await preview(c, "clients", file);
    const rows = outcomes(html);
    expect([...rows.keys()]).toEqual([2, 5, 6]);
    expect(rows.get(5)?.[0]).toBe("add");
    expect(rows.get(6)?.[0]).toBe("error");
    expect(rows.get(6)?.[1]).toContain("not-an-email");
    expect(confirmForm(html).rows).toBe("2,5");
  });

  test("a mapping chosen on the page travels in the query; without an email column nothing can be imported", async () => {
    const c = signedInClient(inst, admin);
    const { path } = await preview(c, "clients", "Full name,Contact\nMaria Mapped,maria@example.org\n");
    const guessed = await (await c.get(path)).text();
    expect(guessed).toContain('data-testid="mapping-problems"'); // "Contact" is no header we know
    expect(guessed).not.toContain('name="rows"'); // no import button
    const chosen = await (await c.get(`${path}?col0=name&col1=email`)).text();
    expect(chosen).not.toContain('data-testid="mapping-problems"');
    expect(outcomes(chosen).get(2)?.[0]).toBe("add");
    expect(confirmForm(chosen)).toMatchObject({ col0: "name", col1: "email", rows: "2" });
  });

  test("refuses a file that is not UTF-8, too large, or empty, and keeps nothing of it", async () => {
    const c = signedInClient(inst, admin);
    const before = uploadsCount();
    // "Иван" in Windows-1251, as an old Excel saves it.
    const ansi = await upload(c, "clients", Uint8Array.from([0x6e, 0x61, 0x6d, 0x65, 0x2c, 0x65, 0x6d, 0x61, 0x69, 0x6c, 0x0a, 0xc8, 0xe2, 0xe0, 0xed, 0x2c, 0x69, 0x40, 0x65, 0x2e, 0x6f, 0x72, 0x67, 0x0a]));
    expect(ansi.status).toBe(422);
    expect(await ansi.text()).toContain("not UTF-8");
    const big = await upload(c, "clients", `name,email\n${"x".repeat(1024 * 1024 + 10)},big@example.org\n`);
    expect(big.status).toBe(413);
    const empty = await upload(c, "clients", "");
    expect(empty.status).toBe(422);
    const headerOnly = await upload(c, "clients", "name,email\n");
    expect(await headerOnly.text()).toContain("no rows of people");
    expect(uploadsCount()).toBe(before);
  });
});

describe("the import", () => {
  test("adds every row the preview promised, with phone, language and zone, invitations left for later; the upload is gone", async () => {
    const c = signedInClient(inst, admin);
    const { path, html } = await preview(c, "clients", "ФИО;Email;Телефон;Язык;Часовой пояс\nПётр Импортов;petr@example.org;+7 900 000 00 02;ru;Asia/Yekaterinburg\nJane Import;jane@example.org;;;\n");
    const before = peopleCount();
    const r = await c.post(path, confirmForm(html));
    expect(r.status).toBe(303); // POST-redirect-GET: a reload asks again, it never imports again
    expect(r.headers.get("location")).toBe(path);
    expect(await (await c.follow(r)).text()).toContain("2 people were added; their invitations wait until you send them.");
    expect(peopleCount()).toBe(before + 2);
    const petr = findPersonByEmail(inst, "petr@example.org")!;
    expect(petr).toMatchObject({ name: "Пётр Импортов", phone: "+7 900 000 00 02", role: "client" });
    expect(readingOf(inst.db, petr.id)).toMatchObject({ locale: "ru", timeZone: "Asia/Yekaterinburg" });
    expect(count("SELECT count(*) AS n FROM accounts WHERE person_id = ? AND status = 'invited'", petr.id)).toBe(1);
    // No invitation link or mail yet: the admin sends it from the person's page.
    expect(count("SELECT count(*) AS n FROM one_time_links WHERE person_id = ?", petr.id)).toBe(0);
    expect(count("SELECT count(*) AS n FROM jobs WHERE subject = ?", petr.id)).toBe(0);
    const sent = await c.post(`/admin/people/${petr.id}/invitation`);
    expect(sent.status).toBe(200);
    expect(count("SELECT count(*) AS n FROM one_time_links WHERE person_id = ?", petr.id)).toBe(1);
    // The upload is deleted; the import is audited with counts, not names.
    expect(count("SELECT count(*) AS n FROM csv_imports WHERE id = ?", path.split("/").pop()!)).toBe(0);
    const audit = inst.db.$client.query("SELECT details FROM audit_log WHERE action = 'people.import' ORDER BY id DESC LIMIT 1").get() as { details: string };
    expect(JSON.parse(audit.details)).toEqual({ kind: "clients", added: 2, skipped: 0, invited: false });
    expect(audit.details).not.toContain("example.org");
  });

  test("the page after Import survives a reload and a form sent again: it says what was done and imports nobody twice", async () => {
    const c = signedInClient(inst, admin);
    const { path, html } = await preview(c, "clients", "name,email\nReload Once,reload.once@example.org\n");
    const done = await c.follow(await c.post(path, confirmForm(html)));
    expect(done.status).toBe(200);
    const before = { people: peopleCount(), imports: count("SELECT count(*) AS n FROM audit_log WHERE action = 'people.import'") };
    // A reload of the page the import redirected to, in both languages.
    const reload = await c.get(path);
    expect(reload.status).toBe(200);
    const text = await reload.text();
    expect(text).toContain("1 person was added; their invitations wait until you send them.");
    expect(text).toContain("The file is no longer kept; reloading this page changes nothing.");
    expect(await (await c.get(path, { "accept-language": "ru" })).text()).toContain("Файл больше не хранится");
    // The confirmation sent again (Back and submit, a double click): the same page, nothing imported.
    const twice = await c.post(path, confirmForm(html));
    expect(twice.status).toBe(303);
    expect(await (await c.follow(twice)).text()).toContain("1 person was added");
    expect({ people: peopleCount(), imports: count("SELECT count(*) AS n FROM audit_log WHERE action = 'people.import'") }).toEqual(before);
    // Someone else learns nothing about it.
    expect((await signedInClient(inst, staff).get(path)).status).toBe(404);
    expect((await signedInClient(inst, staff).post(path, confirmForm(html))).status).toBe(404);
  });

  test("with invitations asked for, admins import specialists and each gets their invitation mail", async () => {
    const c = signedInClient(inst, admin);
    const { path, html } = await preview(c, "specialists", "name,email\nDr Alice Import,alice.dr@example.org\nDr Bob Import,bob.dr@example.org\n");
    const r = await c.post(path, { ...confirmForm(html), invite: "on" });
    expect(r.status).toBe(303);
    expect(await (await c.follow(r)).text()).toContain("2 people were added and invited by mail.");
    for (const email of ["alice.dr@example.org", "bob.dr@example.org"]) {
      const p = findPersonByEmail(inst, email)!;
      expect(p.role).toBe("specialist");
      expect(count("SELECT count(*) AS n FROM one_time_links WHERE person_id = ? AND purpose = 'invite'", p.id)).toBe(1);
      expect(count("SELECT count(*) AS n FROM jobs WHERE subject = ? AND kind = 'mail' AND status = 'pending'", p.id)).toBe(1);
    }
  });

  test("all or nothing: an email taken between the preview and the import rolls back every row", async () => {
    const c = signedInClient(inst, admin);
    const { path, html } = await preview(c, "clients", "name,email\nFirst Row,first.row@example.org\nSecond Row,second.row@example.org\nThird Row,third.row@example.org\n");
    expect(confirmForm(html).rows).toBe("2,3,4");
    // Someone adds the third person meanwhile: the first two are added inside the import, then undone.
    expect(invitePerson(inst, { name: "Third Elsewhere", email: "third.row@example.org", role: "client" }, admin.personId).kind).toBe("invited");
    const before = { people: peopleCount(), imports: count("SELECT count(*) AS n FROM audit_log WHERE action = 'people.import'") };
    const r = await c.post(path, confirmForm(html));
    expect(r.status).toBe(409);
    const page = await r.text();
    expect(page).toContain("Row 4 can no longer be added");
    expect(page).toContain("Nothing was imported");
    expect(peopleCount()).toBe(before.people);
    expect(findPersonByEmail(inst, "first.row@example.org")).toBeNull();
    expect(findPersonByEmail(inst, "second.row@example.org")).toBeNull();
    expect(count("SELECT count(*) AS n FROM audit_log WHERE action = 'people.import'")).toBe(before.imports);
    // The preview shown again says what changed; importing what it offers now works.
    expect(outcomes(page).get(4)?.[0]).toBe("existing");
    const again = await c.post(path, confirmForm(page));
    expect(again.status).toBe(303);
    expect(getPerson(inst, findPersonByEmail(inst, "second.row@example.org")!.id)?.name).toBe("Second Row");
  });

  test("staff import clients but never specialists; an upload is only its uploader's; specialists import nothing", async () => {
    const office = signedInClient(inst, staff);
    expect((await upload(office, "specialists", "name,email\nX,x@example.org\n")).status).toBe(403);
    const { path } = await preview(office, "clients", "name,email\nStaff Added,staff.added@example.org\n");
    expect((await signedInClient(inst, admin).get(path)).status).toBe(404);
    expect((await signedInClient(inst, admin).post(path, { col0: "name", col1: "email", rows: "2" })).status).toBe(404);
    expect(findPersonByEmail(inst, "staff.added@example.org")).toBeNull();
    const own = await office.get("/admin/imports");
    expect(await own.text()).not.toContain("/admin/imports/specialists");
    expect((await signedInClient(inst, specialist).get("/admin/imports")).status).toBe(403);
    expect((await upload(signedInClient(inst, specialist), "clients", "name,email\nX,x@example.org\n")).status).toBe(403);
  });

  test("an upload not imported is discarded after 24 hours, by the queued job", async () => {
    const c = signedInClient(inst, admin);
    const { path } = await preview(c, "clients", "name,email\nLate Larry,larry@example.org\n");
    const id = path.split("/").pop()!;
    try {
      inst.clock.set(inst.clock.now() + 24 * 3600_000 + 1000);
      expect((await signedInClient(inst, admin).get(path)).status).toBe(404); // expired, even before the job ran
      await jobWorker(inst).runDue();
      expect(count("SELECT count(*) AS n FROM csv_imports WHERE id = ?", id)).toBe(0);
    } finally {
      inst.clock.release();
    }
  });

  test("people added without invitations are dated by the installation's clock, not the machine's", async () => {
    const at = Date.UTC(2031, 4, 4, 9, 30);
    inst.clock.set(at);
    try {
      const c = signedInClient(inst, admin);
      const { path, html } = await preview(c, "clients", "name,email\nClock Read,clock.read@example.org\n");
      expect((await c.post(path, confirmForm(html))).status).toBe(303);
      const added = findPersonByEmail(inst, "clock.read@example.org")!;
      expect(count("SELECT count(*) AS n FROM people WHERE id = ? AND created_at = ?", added.id, String(at))).toBe(1);
      expect(count("SELECT count(*) AS n FROM accounts WHERE person_id = ? AND created_at = ?", added.id, String(at))).toBe(1);
    } finally {
      inst.clock.release();
    }
  });

  test("the uploader may discard the file at once", async () => {
    const c = signedInClient(inst, admin);
    const { path } = await preview(c, "clients", "name,email\nGone Soon,gone@example.org\n");
    const r = await c.post(`${path}/discard`);
    expect(r.status).toBe(303);
    expect(await (await c.follow(r)).text()).toContain("The file was discarded");
    expect((await c.post(`${path}/discard`)).status).toBe(303); // sent again: told again, not an error
    expect(count("SELECT count(*) AS n FROM csv_imports WHERE id = ?", path.split("/").pop()!)).toBe(0);
    expect(findPersonByEmail(inst, "gone@example.org")).toBeNull();
  });
});
