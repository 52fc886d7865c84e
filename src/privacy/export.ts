// A client's data export (GDPR art. 15 and 20, 152-FZ art. 14): everything Kabinet holds about them as one ZIP.
//
// Protects: the person's right to a copy, without a way to reach anyone else's data or to exhaust the server.
// Invariants: only rows keyed by this person (their profile, appointments, consent entries, intake answers, notes
// about them, their requests), the chat and files of their own consultations' rooms, and what they themselves wrote
// or shared in other rooms they were let into (never another client's messages there); session notes only once finalised: a draft is the specialist's unfinished working text,
// not yet part of the record (the GDPR access right covers the record; unfinished drafts are given once signed off).
// Streamed: the ZIP is written as the reader takes it (ReadableStream with pull), a page of rows or one 64 KiB
// file chunk at a time, so memory stays flat whatever the person holds. CSV cells are neutralised against formula
// injection (src/http/csv.ts); names inside the archive are made safe (no paths, no duplicates). The caller audits.
import { closeSync, existsSync, fstatSync, openSync, readSync } from "node:fs";
import { join } from "node:path";
import { crc32 } from "node:zlib";
import { type AsyncFlateStreamHandler, Zip, ZipDeflate, type ZipInputFile } from "fflate";
import { CHUNK_BYTES } from "../crypto/sealed-file.ts";
import type { Queryable } from "../db/client.ts";
import { csvRow } from "../http/csv.ts";
import { LOCALES, type Locale } from "../i18n/messages.ts";
import { getPerson } from "../people/people.ts";
import type { Vault } from "../vault/vault.ts";
import { exportProcessing } from "./export-processing.ts";
import { exportReadme, exportSummaryHtml, type ExportCounts } from "./export-summary.ts";
import * as store from "./export.store.ts";
import { listRequestsOf } from "./requests.ts";

export interface ExportDeps {
  db: Queryable;
  vault: Vault;
  /** Where room files are sealed on disk (the data dir's files/). */
  filesDir: string;
}

export interface ExportOptions {
  /** The person's language and zone: the summary and every time in the archive are written for them. */
  locale: Locale;
  timeZone: string;
  /** The organisation's name, for the summary. */
  orgName: string;
  now: number;
  /** Told when the archive cannot be finished (a sealed file damaged, the person erased meanwhile): the stream errors. */
  onFailure?: (err: Error) => void;
}

const PAGE_ROWS = 200;
const encoder = new TextEncoder();

/** The name the download is saved as. */
export function exportFileName(now: number, timeZone: string): string {
  return `kabinet-data-${Temporal.Instant.fromEpochMilliseconds(now).toZonedDateTimeISO(timeZone).toPlainDate().toString()}.zip`;
}

/** Null when there is no such client or they are erased (nothing of theirs can be read). */
export function exportClientData(deps: ExportDeps, personId: string, options: ExportOptions): ReadableStream<Uint8Array> | null {
  const person = getPerson(deps, personId);
  if (!person || person.erased) return null;
  return zipStream((zip) => writeArchive(deps, zip, person, options), options.onFailure);
}

type Person = NonNullable<ReturnType<typeof getPerson>>;

/** Writes the entries one after the other; each `yield` lets the stream hand out what was written so far. */
function* writeArchive(deps: ExportDeps, zip: ZipWriter, person: Person, o: ExportOptions): Generator<void> {
  const { db, vault } = deps;
  const t = LOCALES[o.locale].dataRights.export;
  const iso = (ms: number | null) => (ms === null ? null : Temporal.Instant.fromEpochMilliseconds(ms).toZonedDateTimeISO(o.timeZone).toString({ timeZoneName: "never", smallestUnit: "second" }));
  const names = new Map<string, string>();
  const nameOf = (id: string) => {
    if (id === person.id) return person.name;
    if (!names.has(id)) {
      const p = getPerson(deps, id);
      names.set(id, p && !p.erased ? p.name : "");
    }
    return names.get(id)!;
  };
  const roomIds = store.roomIdsOf(db, person.id);
  const files = store.listFileRowsIn(db, person.id, roomIds).filter((f) => !vault.isShredded(f.subject));
  const zipNames = safeFileNames(files.map((f) => ({ id: f.id, name: vault.openField(f.subject, "room_files", "name", f.id, f.name) })));
  const consents = store.listConsentRowsOf(db, person.id);
  const intake = store.listIntakeRowsOf(db, person.id);
  const notes = store.listFinalisedNoteRowsOf(db, person.id);
  const requests = listRequestsOf(deps, person.id);
  const counts: ExportCounts = {
    appointments: store.countAppointmentsOf(db, person.id),
    messages: store.countMessagesIn(db, person.id, roomIds),
    files: files.length,
    consents: consents.length,
    intake: intake.length,
    notes: notes.length,
    requests: requests.length,
  };
  // A row whose sealed bytes never reached the disk (a crash between the two) is listed as missing, not silently dropped.
  const missing = new Set(files.filter((f) => !existsSync(join(deps.filesDir, f.id))).map((f) => f.id));
  const processing = exportProcessing(deps, o.locale);
  const summary = { person: { name: person.name, email: person.email }, org: o.orgName, generatedAt: o.now, timeZone: o.timeZone, counts, processing };
  zip.text("README.txt", exportReadme(o.locale, summary));
  zip.text("summary.html", exportSummaryHtml(o.locale, summary));
  yield;

  const appointmentRows = function* () {
    for (let offset = 0; ; offset += PAGE_ROWS) {
      const page = store.listAppointmentPage(db, person.id, offset, PAGE_ROWS);
      for (const a of page) {
        yield {
          id: a.id,
          start: iso(a.startAt),
          end: iso(a.endAt),
          status: a.status,
          service: o.locale === "ru" ? a.serviceRu : a.serviceEn,
          mode: a.mode,
          specialist: nameOf(a.specialistId),
          bookedAt: iso(a.createdAt),
          cancelledAt: iso(a.cancelledAt),
          cancelReason: a.cancelReason ? vault.openField(person.id, "appointments", "cancel_reason", a.id, a.cancelReason) : null,
        };
      }
      if (page.length < PAGE_ROWS) return;
    }
  };
  const messageRows = function* () {
    for (let after = 0; ; ) {
      const page = store.listMessagePage(db, person.id, roomIds, after, PAGE_ROWS);
      for (const m of page) {
        if (vault.isShredded(m.subject)) continue;
        yield { id: m.id, room: m.roomId, at: iso(m.at), author: nameOf(m.authorId), mine: m.authorId === person.id, text: vault.openField(m.subject, "room_messages", "body", String(m.id), m.body) };
      }
      if (page.length < PAGE_ROWS) return;
      after = page[page.length - 1]!.id;
    }
  };
  const fileRows = () =>
    files.map((f) => {
      const gone = missing.has(f.id);
      return { id: f.id, room: f.roomId, name: zipNames.get(f.id)!.original, type: f.mime, size: f.size, uploadedAt: iso(f.createdAt), uploadedBy: nameOf(f.uploaderId), path: gone ? null : `files/${zipNames.get(f.id)!.safe}`, missing: gone };
    });
  const consentRows = () =>
    consents.map((c) => ({ id: c.id, purpose: c.purpose, version: c.version, action: c.action, method: c.method, byStaff: c.recordedBy !== person.id, at: iso(c.at), text: (o.locale === "ru" ? c.textRu : c.textEn) ?? null }));

  // data.json, written as it is read: one JSON value per row.
  const json = zip.deflate("data.json");
  json.text(`{\n"generatedAt": ${JSON.stringify(iso(o.now))},\n"timeZone": ${JSON.stringify(o.timeZone)},\n`);
  json.text(`"profile": ${JSON.stringify({ id: person.id, name: person.name, email: person.email, phone: person.phone, language: person.locale, timeZone: person.timeZone, createdAt: iso(person.createdAt.getTime()) })},\n`);
  json.text(`"processing": ${JSON.stringify(processing)},\n`);
  yield* jsonArray(json, "appointments", appointmentRows());
  yield* jsonArray(json, "messages", messageRows());
  yield* jsonArray(json, "files", fileRows());
  yield* jsonArray(json, "consents", consentRows());
  yield* jsonArray(
    json,
    "intakeAnswers",
    intake.map((r) => ({ appointment: r.appointmentId, formVersion: r.formVersion, answers: parseJson(vault.openField(person.id, "intake_responses", "answers", r.appointmentId, r.answers)), submittedAt: iso(r.submittedAt), updatedAt: iso(r.updatedAt) })),
  );
  yield* jsonArray(
    json,
    "sessionNotes",
    notes.map((n) => ({ id: n.id, appointment: n.appointmentId, addendumTo: n.addendumTo, author: nameOf(n.authorId), version: n.version, finalisedAt: iso(n.finalisedAt), text: vault.openField(person.id, "client_note_versions", "body", `${n.id}:${n.version}`, n.body) })),
  );
  yield* jsonArray(
    json,
    "privacyRequests",
    requests.map((r) => ({ id: r.id, kind: r.kind, law: r.law, channel: r.channel, receivedAt: iso(r.receivedAt), dueAt: iso(r.dueAt), status: r.status, note: r.note, outcome: r.outcome, closedAt: iso(r.closedAt) })),
    true,
  );
  json.text("}\n");
  json.end();
  yield;

  yield* csv(zip, "appointments.csv", t.csv.appointments, appointmentRows(), (a) => [a.id, a.start, a.end, a.status, a.service, a.specialist, a.cancelledAt, a.cancelReason]);
  yield* csv(zip, "messages.csv", t.csv.messages, messageRows(), (m) => [m.id, m.at, m.author, m.text]);
  yield* csv(zip, "consents.csv", t.csv.consents, consentRows(), (c) => [c.purpose, c.version, c.action, c.method, c.at]);
  yield* csv(zip, "files.csv", t.csv.files, fileRows(), (f) => [f.name, f.type, f.size, f.uploadedAt, f.uploadedBy, f.path, f.missing ? t.fileMissing : ""]);

  let readBuffer = new Uint8Array(CHUNK_BYTES + 64);
  for (const f of files) {
    const path = join(deps.filesDir, f.id);
    if (missing.has(f.id)) continue; // listed as missing above: nothing to give
    const out = zip.stored(`files/${zipNames.get(f.id)!.safe}`);
    const fd = openSync(path, "r");
    try {
      const size = fstatSync(fd).size;
      // One buffer for every sealed chunk of every file: each is opened before the next is read.
      const read = (at: number, length: number) => {
        if (length > readBuffer.length) readBuffer = new Uint8Array(length);
        const got = readSync(fd, readBuffer, 0, length, at);
        if (got !== length) throw new Error(`file ${f.id} is shorter than it was`);
        return readBuffer.subarray(0, length);
      };
      for (const chunk of vault.openFileChunks(f.subject, f.id, size, read)) {
        out.bytes(chunk);
        yield;
      }
    } finally {
      closeSync(fd);
    }
    out.end();
    yield;
  }
}

function* jsonArray(out: EntryWriter, key: string, rows: Iterable<unknown>, last = false): Generator<void> {
  out.text(`${JSON.stringify(key)}: [`);
  let first = true;
  let n = 0;
  for (const row of rows) {
    out.text(`${first ? "\n" : ",\n"}${JSON.stringify(row)}`);
    first = false;
    if (++n % PAGE_ROWS === 0) yield;
  }
  out.text(`${first ? "" : "\n"}]${last ? "" : ","}\n`);
}

function* csv<R>(zip: ZipWriter, name: string, header: readonly string[], rows: Iterable<R>, cells: (r: R) => (string | number | boolean | null)[]): Generator<void> {
  const out = zip.deflate(name);
  // A byte-order mark: spreadsheet programs then read the file as UTF-8 (Cyrillic names intact).
  out.text(`\ufeff${csvRow(header)}`);
  let n = 0;
  for (const r of rows) {
    out.text(csvRow(cells(r)));
    if (++n % PAGE_ROWS === 0) yield;
  }
  out.end();
  yield;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/**
 * Names for the files inside the archive: the uploaded name without any directory part, control characters or
 * leading dots (no entry can land outside files/ when unpacked), at most 100 characters, and unique regardless of
 * case ("report.pdf", "report (2).pdf").
 */
export function safeFileNames(files: readonly { id: string; name: string }[]): Map<string, { original: string; safe: string }> {
  const taken = new Set<string>();
  const out = new Map<string, { original: string; safe: string }>();
  for (const f of files) {
    let base = (f.name.split(/[\\/]/).pop() ?? "").replace(/[\u0000-\u001f\u007f:*?"<>|]/g, "_").replace(/^[.\s]+/, "").trim();
    if (!base) base = "file";
    const dot = base.lastIndexOf(".");
    let stem = dot > 0 ? base.slice(0, dot) : base;
    const ext = dot > 0 ? base.slice(dot).slice(0, 12) : "";
    stem = stem.slice(0, 100 - ext.length);
    let candidate = `${stem}${ext}`;
    for (let i = 2; taken.has(candidate.toLowerCase()); i++) candidate = `${stem} (${i})${ext}`;
    taken.add(candidate.toLowerCase());
    out.set(f.id, { original: f.name, safe: candidate });
  }
  return out;
}

/** One entry being written. */
interface EntryWriter {
  text(s: string): void;
  bytes(b: Uint8Array): void;
  end(): void;
}

interface ZipWriter {
  /** A whole small text entry, compressed. */
  text(name: string, content: string): void;
  /** A compressed entry written piece by piece. */
  deflate(name: string): EntryWriter;
  /** An entry stored as is (files: mostly compressed already, and not worth the CPU). */
  stored(name: string): EntryWriter;
}

/**
 * An entry stored as is, like fflate's ZipPassThrough but with zlib's native CRC-32: fflate's own, in JavaScript,
 * was four fifths of an export's time (800 ms for 50 MiB against 4 ms).
 */
class StoredFile implements ZipInputFile {
  crc = 0;
  size = 0;
  readonly compression = 0;
  ondata: AsyncFlateStreamHandler = () => {};
  constructor(readonly filename: string) {}

  push(chunk: Uint8Array, final = false): void {
    this.crc = crc32(chunk, this.crc);
    this.size += chunk.length;
    this.ondata(null, chunk as Uint8Array<ArrayBuffer>, final); // never shared memory here
  }
}

/**
 * A ZIP as a byte stream pulled by the reader: each pull runs the writer until it has produced some bytes (or
 * finished). Nothing is read ahead of the reader, and a reader that goes away stops the writer.
 */
function zipStream(write: (zip: ZipWriter) => Generator<void>, onFailure?: (err: Error) => void): ReadableStream<Uint8Array> {
  const ready: Uint8Array[] = [];
  let failed: Error | null = null;
  let finished = false;
  const zip = new Zip((err, data, final) => {
    if (err) failed = err;
    else ready.push(data);
    if (final) finished = true;
  });
  const entry = (file: ZipDeflate | StoredFile): EntryWriter => {
    zip.add(file);
    return {
      text: (s) => file.push(encoder.encode(s)),
      bytes: (b) => file.push(b),
      end: () => file.push(new Uint8Array(0), true),
    };
  };
  const writer: ZipWriter = {
    text: (name, content) => {
      const e = entry(new ZipDeflate(name, { level: 6 }));
      e.text(content);
      e.end();
    },
    deflate: (name) => entry(new ZipDeflate(name, { level: 6 })),
    stored: (name) => entry(new StoredFile(name)),
  };
  const steps = write(writer);
  let stepsDone = false;
  let zipEnded = false;
  return new ReadableStream<Uint8Array>(
    {
      pull(controller) {
        while (ready.length === 0 && !finished && !failed) {
          if (stepsDone) {
            if (zipEnded) break;
            zipEnded = true;
            zip.end();
            continue;
          }
          try {
            stepsDone = steps.next().done === true;
          } catch (err) {
            failed = err as Error;
          }
        }
        if (failed) {
          onFailure?.(failed);
          // The reader sees a broken download, never a short archive that looks complete.
          controller.error(failed);
          return;
        }
        for (const chunk of ready.splice(0)) controller.enqueue(chunk);
        if (finished || zipEnded) controller.close();
      },
      cancel() {
        steps.return(undefined);
        zip.terminate();
      },
    },
    { highWaterMark: 1 },
  );
}
