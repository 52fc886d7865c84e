// The daily retention job: purges what the organisation's policy (policy.ts) says has expired, and never what a legal
// hold or a "keep at least" period protects (holds.ts).
//
// Per record type, when its "delete after" is set:
// - chat, files: the messages and shared files of rooms closed, or left open but expired, longer ago than the period
//   (never a room still live or whose appointment is still ahead); a file's sealed bytes are
//   overwritten and unlinked after the rows are gone (a crash between, or an unlink that fails, leaves an orphan sealed
//   file, which the next run removes: files in the files directory without a row, older than a day, so an upload under way is never touched);
// - notes: all notes of an erased client (unreadable since the erasure; now gone), and of a client whose last
//   appointment and newest note (its newest version or draft: an old note edited today is recent) are older than the
//   period;
// - intake: answers whose last change and whose appointment's end are both longer ago than the period (never while
//   the appointment is booked and not over);
// - jobs: finished jobs (sent, failed, cancelled mail) that finished longer ago;
// - sessions: sessions expired, or unused for longer than the period;
// - audit: never (policy.ts says why).
// A client's chat, files, notes and intake answers are kept while a hold on that type (or "all") stands, or while the
// type's "keep at least" runs; they are counted as kept. Everything in the database goes in one immediate transaction
// with its `retention.run` audit entry, which carries the counts; the same report is kept in meta for the admin page.
import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { recordAudit } from "../audit/audit.ts";
import type { Clock } from "../clock.ts";
import type { DB, Queryable } from "../db/client.ts";
import type { Logger } from "../log.ts";
import { overwriteAndRemove } from "../rooms/contributions.ts";
import { readMeta, writeMeta } from "../settings/settings.store.ts";
import type { Vault } from "../vault/vault.ts";
import { keepAtLeastUntil } from "./holds.ts";
import { type ClientRecordType, DAY_MS, getRetentionPolicy, RECORD_TYPES, type RecordType } from "./policy.ts";
import * as store from "./retention.store.ts";

export interface RetentionDeps {
  db: DB;
  vault: Vault;
  clock: Clock;
  config: { dataDir: string };
  log: Logger;
}

export type Counts = Record<RecordType, number>;

export interface RetentionReport {
  at: number;
  actor: string;
  /** Rows purged per type (files: rows and orphaned sealed files on disk). */
  purged: Counts;
  /** Expired records a legal hold kept. */
  keptByHold: Counts;
  /** Expired records a "keep at least" period kept. */
  keptByLaw: Counts;
  ms: number;
}

const LAST_RUN_KEY = "retention.lastRun";
/** An orphaned file younger than this may be an upload whose row is about to be written. */
const ORPHAN_AGE_MS = DAY_MS;

const zero = (): Counts => Object.fromEntries(RECORD_TYPES.map((t) => [t, 0])) as Counts;

/** Runs the policy once, now. `actor`: "system" for the schedule, "cli", or the admin who pressed the button. */
export function runRetention(deps: RetentionDeps, actor: string): RetentionReport {
  const began = performance.now();
  const now = deps.clock.now();
  const filesDir = join(deps.config.dataDir, "files");
  const report: RetentionReport = { at: now, actor, purged: zero(), keptByHold: zero(), keptByLaw: zero(), ms: 0 };
  const shred = deps.db.transaction(
    (tx) => {
      const policy = getRetentionPolicy(tx);
      const cutoff = (t: RecordType) => (policy[t].deleteAfterDays === null ? null : now - policy[t].deleteAfterDays! * DAY_MS);
      const guard = protection(tx, now);
      const keep = (personId: string, type: ClientRecordType, n: number): boolean => {
        const why = guard(personId, type);
        if (why === "hold") report.keptByHold[type] += n;
        if (why === "law") report.keptByLaw[type] += n;
        return why !== null;
      };
      let fileIds: string[] = [];
      for (const type of ["chat", "files"] as const) {
        const before = cutoff(type);
        if (before === null) continue;
        const free: string[] = [];
        for (const room of store.roomsEndedBefore(tx, before, now)) {
          const count = type === "chat" ? store.countRoomMessages(tx, [room.id]) : store.countRoomFiles(tx, [room.id]);
          if (count === 0 || (room.subject !== "org" && keep(room.subject, type, count))) continue;
          free.push(room.id);
        }
        if (type === "chat") report.purged.chat = store.deleteRoomMessages(tx, free);
        else fileIds = store.deleteRoomFiles(tx, free);
      }
      report.purged.files = fileIds.length;
      const notesBefore = cutoff("notes");
      if (notesBefore !== null) {
        const candidates = store.clientsWithNotes(tx);
        const erased = store.erasedAmong(tx, candidates.map((c) => c.clientId));
        const free = candidates.filter((c) => {
          const inactive = erased.has(c.clientId) || lastActivity(tx, c.clientId) < notesBefore;
          return inactive && !keep(c.clientId, "notes", c.notes);
        });
        report.purged.notes = store.deleteNotesOf(tx, free.map((c) => c.clientId));
      }
      const intakeBefore = cutoff("intake");
      if (intakeBefore !== null) {
        const free = store.intakeBefore(tx, intakeBefore, now).filter((r) => !keep(r.clientId, "intake", 1));
        report.purged.intake = store.deleteIntake(tx, free.map((r) => r.appointmentId));
      }
      const jobsBefore = cutoff("jobs");
      if (jobsBefore !== null) report.purged.jobs = store.deleteFinishedJobsBefore(tx, jobsBefore);
      const sessionsBefore = cutoff("sessions");
      if (sessionsBefore !== null) report.purged.sessions = store.deleteOldSessions(tx, now, sessionsBefore);
      const purgedIds = new Set(fileIds);
      // Orphans: sealed files on disk without a row (a crash between a purge's commit and its unlink, or an upload's
      // write and its row), old enough that no upload is still under way.
      const orphans = cutoff("files") === null || !existsSync(filesDir) ? [] : orphanFiles(tx, filesDir, now).filter((id) => !purgedIds.has(id));
      report.purged.files += orphans.length;
      report.ms = Math.round(performance.now() - began);
      recordAudit(tx, deps.vault, { actor, action: "retention.run", details: flatten(report), at: now });
      writeMeta(tx, { [LAST_RUN_KEY]: JSON.stringify(report) });
      return [...fileIds, ...orphans];
    },
    { behavior: "immediate" },
  );
  // After the commit: a rolled-back purge must not have lost its files' bytes. Each removal stands alone: one file that
  // cannot be removed (a disk error, changed permissions) must neither keep the others nor fail the run, whose rows are
  // gone already; what is left is an orphan, which the next run's sweep removes.
  for (const id of shred) {
    try {
      overwriteAndRemove(join(filesDir, id));
    } catch (err) {
      deps.log.error("retention could not remove a purged file; the next run retries it. Check the files directory's disk and permissions", {
        file: id,
        error: (err as NodeJS.ErrnoException).code ?? (err as Error).name,
      });
    }
  }
  return report;
}

/** The last run's report; null: never run (or the database was restored from before it). */
export function lastRetentionRun(db: Queryable): RetentionReport | null {
  const text = readMeta(db, [LAST_RUN_KEY]).get(LAST_RUN_KEY);
  if (!text) return null;
  try {
    return JSON.parse(text) as RetentionReport;
  } catch {
    return null;
  }
}

/** The report for the CLI: a line per record type, e.g. "chat: 12 purged, 3 kept by a legal hold". */
export function describeRetentionRun(r: RetentionReport): string {
  const lines = RECORD_TYPES.map((t) => {
    const kept = [r.keptByHold[t] ? `${r.keptByHold[t]} kept by a legal hold` : "", r.keptByLaw[t] ? `${r.keptByLaw[t]} kept by keep-at-least` : ""].filter(Boolean);
    return `${t}: ${r.purged[t]} purged${kept.length ? `, ${kept.join(", ")}` : ""}`;
  });
  return `${lines.join("\n")}\n(${r.ms} ms)`;
}

/** Why a client's record of a type is kept: a standing hold, a "keep at least" period ("law"), or null. */
function protection(tx: Queryable, now: number): (personId: string, type: ClientRecordType) => "hold" | "law" | null {
  const holds = store.activeHoldTypes(tx, now);
  const keptUntil = new Map<string, ReturnType<typeof keepAtLeastUntil>>();
  return (personId, type) => {
    const held = holds.get(personId);
    if (held && (held.has("all") || held.has(type))) return "hold";
    if (!keptUntil.has(personId)) keptUntil.set(personId, keepAtLeastUntil(tx, personId));
    return (keptUntil.get(personId)![type] ?? 0) > now ? "law" : null;
  };
}

/** The later of the client's last appointment and newest note (its newest version or draft). */
function lastActivity(tx: Queryable, clientId: string): number {
  return Math.max(store.lastAppointmentEnd(tx, clientId) ?? 0, store.newestRecordTimes(tx, clientId).notes ?? 0);
}

function orphanFiles(tx: Queryable, filesDir: string, now: number): string[] {
  const known = store.roomFileIds(tx);
  return readdirSync(filesDir).filter((name) => {
    if (known.has(name)) return false;
    const stat = statSync(join(filesDir, name));
    return stat.isFile() && now - stat.mtimeMs > ORPHAN_AGE_MS;
  });
}

function flatten(r: RetentionReport): Record<string, number> {
  const out: Record<string, number> = { ms: r.ms };
  for (const t of RECORD_TYPES) {
    out[`purged.${t}`] = r.purged[t];
    if (r.keptByHold[t]) out[`keptByHold.${t}`] = r.keptByHold[t];
    if (r.keptByLaw[t]) out[`keptByLaw.${t}`] = r.keptByLaw[t];
  }
  return out;
}
