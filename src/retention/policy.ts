// The organisation's retention policy: per record type, how long records are kept at most ("delete after", what the
// daily job purges) and at least ("keep at least", what the law requires, e.g. medical records N years after the last
// appointment: it blocks erasure and the purge alike). Stored in the meta table, one key per value; no personal data.
//
// The audit log has no "delete after": it is kept whole. Its entries carry pseudonymous ids only (no personal data,
// so keeping it conflicts with no storage limit), and its worth is that the hash chain verifies from the first entry
// (src/audit/audit.ts) against a signed head kept outside the database (audit-head.ts); cutting its start would need
// a chain anchor that every verifier, the head recorder and the append-only triggers of migration 0001 trust, so a
// cut could never be confused with tampering. Until that exists, a period for it is refused with that explanation.
import type { Queryable } from "../db/client.ts";
import { deleteMeta, readMeta, writeMeta } from "../settings/settings.store.ts";

export const RECORD_TYPES = ["chat", "files", "notes", "intake", "jobs", "sessions", "audit"] as const;
export type RecordType = (typeof RECORD_TYPES)[number];

/** Record types that belong to one client: a legal hold or a "keep at least" period protects them, and blocks erasure. */
export const CLIENT_RECORD_TYPES = ["notes", "chat", "files", "intake"] as const satisfies readonly RecordType[];
export type ClientRecordType = (typeof CLIENT_RECORD_TYPES)[number];

export interface Period {
  /** Purged this many days after the record's time; null: never purged. */
  deleteAfterDays: number | null;
  /** Kept at least this many days after the client's last appointment (or the record's time); null: no minimum. */
  keepAtLeastDays: number | null;
}

export type RetentionPolicy = Record<RecordType, Period>;

/** A hundred years: beyond any law's period, and far from overflowing a millisecond timestamp. */
export const MAX_DAYS = 36_500;
/** Sessions and mail must stay long enough to sign in again and to see what was sent. */
const MIN_DELETE_AFTER: Record<RecordType, number> = { chat: 1, files: 1, notes: 30, intake: 1, jobs: 1, sessions: 1, audit: MAX_DAYS };

const key = (type: RecordType, which: keyof Period) => `retention.${type}.${which}`;
const KEYS = RECORD_TYPES.flatMap((t) => [key(t, "deleteAfterDays"), key(t, "keepAtLeastDays")]);

export const DAY_MS = 86_400_000;

/** Every type's periods; unset values are null (nothing purged, no minimum): the installation's default. */
export function getRetentionPolicy(db: Queryable): RetentionPolicy {
  const m = readMeta(db, KEYS);
  const days = (k: string): number | null => {
    const v = m.get(k);
    return v === undefined || !/^\d+$/.test(v) ? null : Number(v);
  };
  return Object.fromEntries(RECORD_TYPES.map((t) => [t, { deleteAfterDays: days(key(t, "deleteAfterDays")), keepAtLeastDays: days(key(t, "keepAtLeastDays")) }])) as RetentionPolicy;
}

export function saveRetentionPolicy(tx: Queryable, policy: RetentionPolicy): void {
  const set: Record<string, string> = {};
  const unset: string[] = [];
  for (const t of RECORD_TYPES) {
    for (const which of ["deleteAfterDays", "keepAtLeastDays"] as const) {
      const v = policy[t][which];
      if (v === null) unset.push(key(t, which));
      else set[key(t, which)] = String(v);
    }
  }
  writeMeta(tx, set);
  deleteMeta(tx, unset);
}

/** Why a period was refused; each has a message in i18n (retention.problems). */
export type PeriodProblem = "number" | "range" | "tooShort" | "keepLonger" | "auditKept";

export type PolicyParse = { ok: true; policy: RetentionPolicy } | { ok: false; errors: Record<string, PeriodProblem>; values: Record<string, string> };

/** The form's fields are `<type>.deleteAfterDays` and `<type>.keepAtLeastDays`, whole days, empty for none. */
export function fieldName(type: RecordType, which: keyof Period): string {
  return `${type}.${which}`;
}

export function parseRetentionForm(form: Readonly<Record<string, string>>): PolicyParse {
  const errors: Record<string, PeriodProblem> = {};
  const values: Record<string, string> = {};
  const policy = {} as RetentionPolicy;
  for (const t of RECORD_TYPES) {
    const read = (which: keyof Period): number | null => {
      const name = fieldName(t, which);
      const text = (form[name] ?? "").trim();
      values[name] = text;
      if (text === "") return null;
      if (!/^\d{1,6}$/.test(text)) {
        errors[name] = "number";
        return null;
      }
      const n = Number(text);
      if (n > MAX_DAYS || (which === "deleteAfterDays" && n < 1)) errors[name] = "range";
      return n;
    };
    const deleteAfterDays = read("deleteAfterDays");
    const keepAtLeastDays = read("keepAtLeastDays");
    const del = fieldName(t, "deleteAfterDays");
    if (t === "audit" && deleteAfterDays !== null) errors[del] ??= "auditKept";
    else if (deleteAfterDays !== null && deleteAfterDays < MIN_DELETE_AFTER[t]) errors[del] ??= "tooShort";
    if (deleteAfterDays !== null && keepAtLeastDays !== null && keepAtLeastDays > deleteAfterDays) errors[fieldName(t, "keepAtLeastDays")] ??= "keepLonger";
    policy[t] = { deleteAfterDays, keepAtLeastDays };
  }
  return Object.keys(errors).length ? { ok: false, errors, values } : { ok: true, policy };
}

/** The shortest "delete after" a type accepts, for the form's hints. */
export function minimumDeleteAfter(type: RecordType): number {
  return MIN_DELETE_AFTER[type];
}
