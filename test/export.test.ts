// A client's data export through the real app: the ZIP they download (opened by Python's zipfile, an independent
// reader) holds their data and nothing of anyone else's, with CSV formulas neutralised, file bytes intact, names made
// safe, the summary in their language, and the download audited.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { scanAuditForAnomalies } from "../src/anomalies/anomalies.ts";
import { appointmentRoom, book } from "../src/booking/appointments.ts";
import { eraseClient } from "../src/privacy/erasure.ts";
import { safeFileNames } from "../src/privacy/export.ts";
import { fileRequest } from "../src/privacy/requests.ts";
import { createNote, finaliseNote } from "../src/records/notes.ts";
import { postChatMessage } from "../src/rooms/chat.ts";
import { storeRoomFile } from "../src/rooms/files.ts";
import { createRoom, recordAdmission } from "../src/rooms/rooms.ts";
import { addPerson, setUpOrganisation, signedInClient, type TestPerson } from "./support/accounts.ts";
import { at, dayAhead, everyDay, makeService, setHours } from "./support/booking.ts";
import { makeInstallation, tempDir, type TestInstallation } from "./support/installation.ts";

const OTHER = "Other-client-canary-Zlatogor";
const DRAFT = "Unfinished-draft-canary-Svarog";
let inst: TestInstallation;
let admin: TestPerson;
let specialist: TestPerson;
let anna: TestPerson;
let boris: TestPerson;
const files: Record<string, Uint8Array> = {};
let apptIds: string[] = [];

const fileDeps = () => ({ ...inst, filesDir: join(inst.config.dataDir, "files"), maxBytes: 1 << 20, roomQuotaBytes: 8 << 20 });
const text = (s: string) => new TextEncoder().encode(s);

/** Every entry of a ZIP as read by Python's zipfile (which also checks each CRC), name → bytes. */
function unzip(bytes: Uint8Array): Map<string, Buffer> {
  const path = join(tempDir(), "export.zip");
  writeFileSync(path, bytes);
  const script = "import zipfile,sys,json,base64\nz=zipfile.ZipFile(sys.argv[1])\nassert z.testzip() is None\nprint(json.dumps({i.filename: base64.b64encode(z.read(i)).decode() for i in z.infolist()}))";
  const r = spawnSync("python3", ["-c", script, path], { encoding: "utf8", maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(r.stderr);
  return new Map(Object.entries(JSON.parse(r.stdout) as Record<string, string>).map(([k, v]) => [k, Buffer.from(v, "base64")]));
}

/** RFC 4180 records of a CSV (quoted cells may hold commas, quotes and line breaks). */
function parseCsv(s: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = "";
  let quoted = false;
  for (let i = 0; i < s.length; i++) {
    const ch = s[i]!;
    if (quoted) {
      if (ch === '"' && s[i + 1] === '"') (cell += '"'), i++;
      else if (ch === '"') quoted = false;
      else cell += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ",") row.push(cell), (cell = "");
    else if (ch === "\r" && s[i + 1] === "\n") row.push(cell), rows.push(row), (row = []), (cell = ""), i++;
    else cell += ch;
  }
  return rows;
}

beforeAll(async () => {
  inst = makeInstallation();
  admin = await setUpOrganisation(inst);
  specialist = await addPerson(inst, admin.personId, "specialist", { name: "Dr Vera Specialist" });
  anna = await addPerson(inst, admin.personId, "client", { name: "Anna Export" });
  boris = await addPerson(inst, admin.personId, "client", { name: `Boris ${OTHER}` });
  const service = makeService(inst, admin.personId, [specialist.personId], { cancelHours: 0, nameEn: "Counselling" });
  setHours(inst, specialist.personId, everyDay("UTC"));
  const actor = { personId: specialist.personId, role: "specialist" as const };
  const now = inst.clock.now();
  for (const [client, day] of [[anna, 2], [anna, 3], [boris, 4]] as const) {
    const booked = book(inst, { serviceId: service.id, specialistId: specialist.personId, start: at(dayAhead(day), "10:00"), clientId: client.personId, actor }, now);
    if (!booked.ok) throw new Error(booked.reason);
    apptIds.push(booked.appointments[0]!.id);
  }
  const annaAppt = apptIds[0]!;
  const start = at(dayAhead(2), "10:00");
  const room = appointmentRoom(inst, annaAppt, actor, start);
  if (!room.ok) throw new Error(room.reason);
  const borisRoom = appointmentRoom(inst, apptIds[2]!, actor, at(dayAhead(4), "10:00"));
  if (!borisRoom.ok) throw new Error(borisRoom.reason);
  recordAdmission(inst, room.roomId, anna.personId);
  postChatMessage(inst, room.roomId, anna.personId, "=1+2 looks like a formula");
  postChatMessage(inst, room.roomId, specialist.personId, 'Reply, with a comma and "quotes"\nand a new line');
  postChatMessage(inst, borisRoom.roomId, boris.personId, `${OTHER} in his own room`);
  // An ad-hoc room both were let into: Anna's own message is hers, Boris's is not.
  const adHoc = createRoom(inst, specialist.personId, now, { guests: [anna.personId, boris.personId] }).room;
  recordAdmission(inst, adHoc.id, anna.personId);
  recordAdmission(inst, adHoc.id, boris.personId);
  postChatMessage(inst, adHoc.id, anna.personId, "Anna in the group");
  postChatMessage(inst, adHoc.id, boris.personId, `${OTHER} in the group`);
  const upload = async (roomId: string, who: string, name: string, bytes: Uint8Array) => {
    const r = await storeRoomFile(fileDeps(), roomId, who, name, bytes);
    if (!r.ok) throw new Error(r.problem);
    files[r.file.id] = bytes;
    return r.file.id;
  };
  await upload(room.roomId, anna.personId, "notes.txt", text("first notes"));
  await upload(room.roomId, specialist.personId, "NOTES.txt", text("second notes, same name but for case"));
  await upload(room.roomId, anna.personId, "../../etc/passwd.txt", text("not a path"));
  await upload(room.roomId, specialist.personId, "homework.txt", text("x".repeat(200_000) + "end")); // four sealed chunks
  await upload(borisRoom.roomId, boris.personId, "boris.txt", text(OTHER));
  await upload(adHoc.id, boris.personId, "group.txt", text(OTHER));
  // The consent ledger and intake answers, written directly until the consent and intake services land.
  inst.db.$client.run("INSERT INTO consent_documents VALUES ('health-data', 1, 'I agree to my health data being processed.', 'Я согласен на обработку данных о здоровье.', ?, ?)", [now, admin.personId]);
  for (const [who, action] of [[anna, "given"], [anna, "withdrawn"], [boris, "given"]] as const) {
    inst.db.$client.run("INSERT INTO consent_ledger (person_id, purpose, version, action, method, recorded_by, at) VALUES (?, 'health-data', 1, ?, 'account', ?, ?)", [who.personId, action, who.personId, now]);
  }
  const answers = JSON.stringify([{ question: "How do you sleep?", answer: "@badly" }]);
  inst.db.$client.run("INSERT INTO intake_responses VALUES (?, ?, 1, ?, ?, ?)", [annaAppt, anna.personId, Buffer.from(inst.vault.sealField(anna.personId, "intake_responses", "answers", annaAppt, answers)), now, now]);
  const final = createNote(inst, actor, { clientId: anna.personId, text: "# Session one\n- sleeps better", appointmentId: annaAppt }, now);
  if (!final.ok) throw new Error(final.reason);
  expect(finaliseNote(inst, actor, anna.personId, final.note.id, now).ok).toBe(true);
  expect(createNote(inst, actor, { clientId: anna.personId, text: DRAFT }, now).ok).toBe(true); // not finalised
  expect(createNote(inst, actor, { clientId: boris.personId, text: OTHER }, now).ok).toBe(true);
  expect(fileRequest(inst, { personId: anna.personId, kind: "rectification", law: "gdpr", channel: "account", receivedAt: now, note: "My phone changed" }, anna.personId).ok).toBe(true);
  expect(fileRequest(inst, { personId: boris.personId, kind: "erasure", law: "gdpr", channel: "account", receivedAt: now, note: OTHER }, boris.personId).ok).toBe(true);
}, 60_000);
afterAll(() => inst.close());

describe("a client's data export", () => {
  test("the client downloads a ZIP of their data, checked against the data, audited", async () => {
    const as = signedInClient(inst, anna);
    const page = await as.get("/account/privacy");
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('action="/account/privacy/export"');
    const auditBefore = (inst.db.$client.query("SELECT count(*) AS n FROM audit_log WHERE action = 'record.export'").get() as { n: number }).n;
    const r = await as.post("/account/privacy/export");
    expect(r.status).toBe(200);
    expect(r.headers.get("content-type")).toBe("application/zip");
    expect(r.headers.get("content-disposition")).toMatch(/^attachment; filename="kabinet-data-\d{4}-\d{2}-\d{2}\.zip"$/);
    expect(r.headers.get("cache-control")).toContain("no-store");
    const zip = unzip(new Uint8Array(await r.arrayBuffer()));
    const names = [...zip.keys()];
    expect(names.slice(0, 7)).toEqual(["README.txt", "summary.html", "data.json", "appointments.csv", "messages.csv", "consents.csv", "files.csv"]);
    expect(names.slice(7).sort()).toEqual(["files/_.._etc_passwd.txt", "files/homework.txt", "files/NOTES (2).txt", "files/notes.txt"].sort());

    // Nothing of Boris's, nor the unfinished draft, anywhere in the archive.
    const all = Buffer.concat([...zip.values()]).toString("utf8");
    expect(all).not.toContain(OTHER);
    expect(all).not.toContain(DRAFT);
    expect(all).not.toContain(boris.email);

    const data = JSON.parse(zip.get("data.json")!.toString("utf8"));
    expect(data.profile).toMatchObject({ id: anna.personId, name: "Anna Export", email: anna.email });
    expect(data.appointments).toHaveLength(2);
    expect(data.appointments[0]).toMatchObject({ id: apptIds[0], service: "Counselling", specialist: "Dr Vera Specialist", status: "booked" });
    expect(data.appointments[0].start).toMatch(/^\d{4}-\d{2}-\d{2}T13:00:00\+03:00$/); // the client's zone (the organisation's, Moscow): 10:00 UTC is 13:00 there
    expect(data.messages.map((m: { text: string }) => m.text)).toEqual(["=1+2 looks like a formula", 'Reply, with a comma and "quotes"\nand a new line', "Anna in the group"]);
    expect(data.messages[0]).toMatchObject({ author: "Anna Export", mine: true });
    expect(data.consents.map((c: { action: string }) => c.action)).toEqual(["given", "withdrawn"]);
    expect(data.consents[0].text).toBe("I agree to my health data being processed.");
    expect(data.intakeAnswers).toEqual([expect.objectContaining({ appointment: apptIds[0], answers: [{ question: "How do you sleep?", answer: "@badly" }] })]);
    expect(data.sessionNotes).toHaveLength(1);
    expect(data.sessionNotes[0]).toMatchObject({ text: "# Session one\n- sleeps better", author: "Dr Vera Specialist", version: 1 });
    expect(data.privacyRequests).toEqual([expect.objectContaining({ kind: "rectification", status: "open", note: "My phone changed" })]);
    expect(data.files).toHaveLength(4);

    // The CSVs: the same rows; a cell a spreadsheet would run as a formula starts with an apostrophe.
    const messages = parseCsv(zip.get("messages.csv")!.toString("utf8").replace(/^\ufeff/, ""));
    expect(messages[0]).toEqual(["id", "sent_at", "author", "text"]);
    expect(messages.slice(1).map((m) => m[3])).toEqual(["'=1+2 looks like a formula", 'Reply, with a comma and "quotes"\nand a new line', "Anna in the group"]);
    const appointments = parseCsv(zip.get("appointments.csv")!.toString("utf8").replace(/^\ufeff/, ""));
    // Ids are base64url and may start with "-": neutralised like any other cell.
    expect(appointments.slice(1).map((a) => a[0])).toEqual(apptIds.slice(0, 2).map((id) => (id.startsWith("-") ? `'${id}` : id)));
    expect(appointments[1]![4]).toBe("Counselling");
    const consents = parseCsv(zip.get("consents.csv")!.toString("utf8").replace(/^\ufeff/, ""));
    expect(consents.slice(1).map((c) => c.slice(0, 3))).toEqual([["health-data", "1", "given"], ["health-data", "1", "withdrawn"]]);
    const fileList = parseCsv(zip.get("files.csv")!.toString("utf8").replace(/^\ufeff/, ""));
    expect(fileList.slice(1).map((f) => f[5]).sort()).toEqual(names.slice(7).sort());

    // Each file's bytes as uploaded.
    for (const f of data.files as { id: string; path: string }[]) expect(Buffer.from(zip.get(f.path)!)).toEqual(Buffer.from(files[f.id]!));

    // The summary, in English for an English reader.
    expect(zip.get("README.txt")!.toString("utf8")).toContain("Your data at Test Clinic");
    expect(zip.get("README.txt")!.toString("utf8")).toContain("Chat messages in your consultations (3)");
    expect(zip.get("summary.html")!.toString("utf8")).toContain("<h1>Your data at Test Clinic</h1>");

    // Audited, as the export rule of the anomaly scan expects.
    const audit = inst.db.$client.query("SELECT actor, target, details FROM audit_log WHERE action = 'record.export' ORDER BY id DESC LIMIT 1").get() as { actor: string; target: string; details: string };
    expect(audit).toEqual({ actor: anna.personId, target: anna.personId, details: JSON.stringify({ by: "self" }) });
    expect((inst.db.$client.query("SELECT count(*) AS n FROM audit_log WHERE action = 'record.export'").get() as { n: number }).n).toBe(auditBefore + 1);
    expect(inst.logs.join("")).not.toContain(anna.email);
    // The anomaly scan's export rule raises a security alert for it.
    scanAuditForAnomalies(inst, { sliceMs: Infinity });
    expect(inst.db.$client.query("SELECT subject FROM anomaly_alerts WHERE rule = 'export'").all()).toContainEqual({ subject: anna.personId });
  });

  test("in Russian for a Russian reader; a GET changes nothing and downloads nothing", async () => {
    const as = signedInClient(inst, anna);
    const r = await as.post("/account/privacy/export", {}, { "accept-language": "ru" });
    const zip = unzip(new Uint8Array(await r.arrayBuffer()));
    expect(zip.get("README.txt")!.toString("utf8")).toContain("Ваши данные в организации «Test Clinic»");
    expect(zip.get("appointments.csv")!.toString("utf8")).toContain("услуга");
    const get = await as.get("/account/privacy/export");
    expect(get.status).toBe(404);
  });

  test("a cross-site POST is refused before anything is read", async () => {
    const as = signedInClient(inst, anna);
    const before = (inst.db.$client.query("SELECT count(*) AS n FROM audit_log WHERE action = 'record.export'").get() as { n: number }).n;
    const r = await as.post("/account/privacy/export", {}, { origin: "https://evil.example" });
    expect(r.status).toBe(403);
    expect((inst.db.$client.query("SELECT count(*) AS n FROM audit_log WHERE action = 'record.export'").get() as { n: number }).n).toBe(before);
  });

  test("the download is a stream: it arrives in many pieces as the archive is written", async () => {
    const as = signedInClient(inst, anna);
    const r = await as.post("/account/privacy/export");
    const reader = r.body!.getReader();
    let pieces = 0;
    let bytes = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      pieces++;
      bytes += value.length;
    }
    expect(pieces).toBeGreaterThan(8);
    expect(bytes).toBeGreaterThan(200_000);
  });

  test("file names inside the archive: no directories, no leading dots, no duplicates regardless of case", () => {
    const names = safeFileNames([
      { id: "1", name: "report.pdf" },
      { id: "2", name: "Report.PDF" },
      { id: "3", name: "../../x/.bashrc" },
      { id: "4", name: "C:\\Windows\\evil.exe" },
      { id: "5", name: "..." },
      { id: "6", name: "report.pdf" },
      { id: "7", name: `${"a".repeat(300)}.txt` },
    ]);
    expect([...names.values()].map((n) => n.safe)).toEqual(["report.pdf", "Report (2).PDF", "bashrc", "evil.exe", "file", "report (3).pdf", `${"a".repeat(96)}.txt`]);
  });

  test("a damaged sealed file breaks the download (never a short archive that looks whole) and is logged", async () => {
    const dora = await addPerson(inst, admin.personId, "client");
    const { room } = createRoom(inst, specialist.personId, inst.clock.now(), { subject: dora.personId, guests: [dora.personId] });
    const stored = await storeRoomFile(fileDeps(), room.id, dora.personId, "scan.txt", text("y".repeat(100_000)));
    if (!stored.ok) throw new Error(stored.problem);
    const path = join(inst.config.dataDir, "files", stored.file.id);
    const sealed = readFileSync(path);
    sealed[sealed.length - 20]! ^= 1;
    writeFileSync(path, sealed);
    const r = await signedInClient(inst, dora).post("/account/privacy/export");
    expect(r.status).toBe(200); // the headers were sent before the file was reached
    await expect(r.arrayBuffer()).rejects.toThrow();
    expect(inst.logs.join("")).toContain("a data export stopped part-way");
  });

  test("the summary and data.json say how the data is processed and the person's rights (GDPR art. 15(1), 152-FZ art. 14(7))", async () => {
    inst.db.$client.run("INSERT OR REPLACE INTO meta (key, value) VALUES ('retention.notes.deleteAfterDays', '3650')");
    const zip = unzip(new Uint8Array(await (await signedInClient(inst, anna).post("/account/privacy/export")).arrayBuffer()));
    const readme = zip.get("README.txt")!.toString("utf8");
    const html = zip.get("summary.html")!.toString("utf8");
    for (const text of [readme, html]) {
      for (const heading of ["Who is responsible for it", "How your data is processed", "Who receives it", "Where the data comes from", "Your rights and how to use them"]) expect(text).toContain(heading);
      expect(text).toContain("Purpose");
      expect(text).toContain("Legal basis");
      expect(text).toContain("Categories of personal data");
      expect(text).toContain("None: the data stays on the appliance.");
      expect(text).toContain("Test Clinic");
      expect(text).toContain("/account/privacy");
      expect(text).toContain("Roskomnadzor");
      expect(text).toContain("3650"); // the organisation's own retention period for session notes
      expect(text).not.toContain("client_note_versions"); // table names are for the organisation's record
    }
    expect(html).toContain("<h2>Your rights and how to use them</h2>");
    const data = JSON.parse(zip.get("data.json")!.toString("utf8")) as { processing: { activities: { name: string; facts: [string, string][] }[]; recipients: string; rights: string[]; source: string } };
    expect(data.processing.activities.map((a) => a.name)).toContain("Client records");
    expect(data.processing.activities.every((a) => a.facts.some(([label]) => label === "Legal basis"))).toBe(true);
    expect(data.processing.recipients).toStartWith("None: the data stays on the appliance.");
    expect(data.processing.rights).toHaveLength(6);
    expect(data.processing.source).toStartWith("From you:");
    const ru = unzip(new Uint8Array(await (await signedInClient(inst, anna).post("/account/privacy/export", {}, { "accept-language": "ru" })).arrayBuffer()));
    expect(ru.get("README.txt")!.toString("utf8")).toContain("Ваши права и как ими воспользоваться");
    expect(ru.get("summary.html")!.toString("utf8")).toContain("Откуда получены данные");
  });

  test("a file whose sealed bytes are missing is listed as missing in files.csv and data.json, not silently dropped", async () => {
    const eva = await addPerson(inst, admin.personId, "client");
    const { room } = createRoom(inst, specialist.personId, inst.clock.now(), { subject: eva.personId, guests: [eva.personId] });
    const kept = await storeRoomFile(fileDeps(), room.id, eva.personId, "kept.txt", text("still here"));
    const lost = await storeRoomFile(fileDeps(), room.id, eva.personId, "lost.txt", text("gone from disk"));
    if (!kept.ok || !lost.ok) throw new Error("upload failed");
    rmSync(join(inst.config.dataDir, "files", lost.file.id));
    const r = await signedInClient(inst, eva).post("/account/privacy/export");
    expect(r.status).toBe(200);
    const zip = unzip(new Uint8Array(await r.arrayBuffer()));
    expect([...zip.keys()].filter((n) => n.startsWith("files/"))).toEqual(["files/kept.txt"]);
    const data = JSON.parse(zip.get("data.json")!.toString("utf8")) as { files: { name: string; path: string | null; missing: boolean }[] };
    expect(data.files.map((f) => [f.name, f.path, f.missing]).sort()).toEqual([["kept.txt", "files/kept.txt", false], ["lost.txt", null, true]]);
    const list = parseCsv(zip.get("files.csv")!.toString("utf8").replace(/^\ufeff/, ""));
    expect(list[0]).toEqual(["name", "type", "bytes", "uploaded_at", "uploaded_by", "path_in_archive", "missing"]);
    const row = (name: string) => list.find((l) => l[0] === name)!;
    expect(row("lost.txt").slice(5)).toEqual(["", "missing: the file's content was not found on the server, so it is not in this archive"]);
    expect(row("kept.txt").slice(5)).toEqual(["files/kept.txt", ""]);
  });

  test("an erased client cannot be exported: nothing of theirs can be read", async () => {
    const gone = await addPerson(inst, admin.personId, "client");
    const as = signedInClient(inst, gone);
    expect((await as.post("/account/privacy/export")).status).toBe(200);
    const erased = eraseClient({ ...inst, dataDir: inst.config.dataDir }, gone.personId, admin.personId);
    expect(erased.ok).toBe(true);
    expect((await as.post("/account/privacy/export")).status).toBe(401); // their session ended with the erasure
  });
});
