// What happens to each row of an import: added, a duplicate (of someone already here, or of an earlier row), or an
// error with the reason per field. Pure but for `exists`, the caller's look-up by email (the people service's blind
// index), so the preview and the import itself judge rows the same way.
//
// Formula cells are refused, not neutralised: a cell starting with = + - @, a tab or a carriage return is what a
// spreadsheet runs as a formula ("CSV injection"), and so is one where a part after a , ; or tab starts so (a
// spreadsheet that splits on that character makes the part a cell of its own: "Ivan;=cmd|…" in Excel in Russian). Stored, it would be exported again later and reach another
// spreadsheet; a real name or address never starts so. The one exception is a phone number in international form
// ("+7 900 123-45-67"): a phone column accepts a "+" followed by digits, spaces and ( ) - . only, and a phone has
// 7 to 15 digits ("+7 (900) 1" is refused as no phone).
import { z } from "zod";
import { normalizeEmail } from "../crypto/blind-index.ts";
import { hasFormulaAfterSeparator, startsLikeFormula } from "../http/csv.ts";
import type { Locale } from "../i18n/messages.ts";
import { isTimeZone } from "../settings/settings.ts";
import type { ColumnUse, Field } from "./columns.ts";
import type { CsvRow, RowProblem } from "./csv-read.ts";

export type CellProblem = "missing" | "formula" | "formula-part" | "too-long" | "email" | "phone" | "language" | "time-zone";

export interface NewPersonRow {
  name: string;
  email: string;
  phone: string | null;
  locale: Locale | null;
  timeZone: string | null;
}

export type RowOutcome =
  | { row: number; kind: "add"; person: NewPersonRow }
  | { row: number; kind: "existing"; person: NewPersonRow }
  | { row: number; kind: "repeat"; person: NewPersonRow; firstRow: number }
  | { row: number; kind: "error"; problems: { field: Field; problem: CellProblem }[]; cells: Partial<Record<Field, string>> }
  | { row: number; kind: "unreadable"; problem: RowProblem };

const PHONE = /^\+?[0-9][0-9 ()\-.]{4,28}[0-9]$/;
const PHONE_DIGITS = { min: 7, max: 15 };

/** Whether a phone-shaped text has as many digits as a real number: 7 (a local number) to 15 (E.164's most). */
function plausiblePhone(v: string): boolean {
  const digits = v.replace(/[^0-9]/g, "").length;
  return digits >= PHONE_DIGITS.min && digits <= PHONE_DIGITS.max;
}
const LIMITS: Readonly<Record<Field, number>> = { name: 120, email: 254, phone: 40, language: 20, timeZone: 64 };
const emailShape = z.email();

const LANGUAGES: Readonly<Record<string, Locale>> = {
  en: "en", eng: "en", english: "en", "английский": "en", "англ": "en",
  ru: "ru", rus: "ru", russian: "ru", "русский": "ru", "рус": "ru",
};


function checkCell(field: Field, raw: string): { value: string | null } | { problem: CellProblem } {
  const v = raw.trim();
  // A phone's shape first: "+7 …" is a phone, not a formula; then a plausible length (E.164 has at most 15 digits).
  if (field === "phone" && PHONE.test(v) && !/^[\t\r]/.test(raw)) return plausiblePhone(v) ? { value: v } : { problem: "phone" };
  if (startsLikeFormula(raw)) return { problem: "formula" };
  if (hasFormulaAfterSeparator(raw)) return { problem: "formula-part" };
  if (v === "") return field === "name" || field === "email" ? { problem: "missing" } : { value: null };
  if (v.length > LIMITS[field]) return { problem: "too-long" };
  switch (field) {
    case "email":
      return emailShape.safeParse(v).success ? { value: normalizeEmail(v) } : { problem: "email" };
    case "phone":
      return { problem: "phone" };
    case "language":
      return Object.hasOwn(LANGUAGES, v.toLocaleLowerCase("ru")) ? { value: LANGUAGES[v.toLocaleLowerCase("ru")]! } : { problem: "language" };
    case "timeZone":
      return isTimeZone(v) ? { value: v } : { problem: "time-zone" };
    default:
      return { value: v };
  }
}

/** Every row's outcome under this mapping; `exists` tells whether someone has this (normalised) email already. */
export function checkRows(rows: readonly CsvRow[], columns: readonly ColumnUse[], exists: (email: string) => boolean): RowOutcome[] {
  const firstRowOf = new Map<string, number>();
  return rows.map((r): RowOutcome => {
    if (!("cells" in r)) return { row: r.row, kind: "unreadable", problem: r.problem };
    const values: Partial<Record<Field, string | null>> = {};
    const cells: Partial<Record<Field, string>> = {};
    const problems: { field: Field; problem: CellProblem }[] = [];
    columns.forEach((use, i) => {
      if (use === "ignore") return;
      const raw = r.cells[i] ?? "";
      cells[use] = raw.trim();
      const checked = checkCell(use, raw);
      if ("problem" in checked) problems.push({ field: use, problem: checked.problem });
      else values[use] = checked.value;
    });
    if (problems.length > 0) return { row: r.row, kind: "error", problems, cells };
    const person: NewPersonRow = {
      name: values.name!,
      email: values.email!,
      phone: values.phone ?? null,
      locale: (values.language as Locale | null | undefined) ?? null,
      timeZone: values.timeZone ?? null,
    };
    const firstRow = firstRowOf.get(person.email);
    if (firstRow !== undefined) return { row: r.row, kind: "repeat", person, firstRow };
    firstRowOf.set(person.email, r.row);
    return exists(person.email) ? { row: r.row, kind: "existing", person } : { row: r.row, kind: "add", person };
  });
}

export interface OutcomeCounts {
  add: number;
  existing: number;
  repeat: number;
  error: number;
}

export function countOutcomes(outcomes: readonly RowOutcome[]): OutcomeCounts {
  const n = { add: 0, existing: 0, repeat: 0, error: 0 };
  for (const o of outcomes) n[o.kind === "unreadable" ? "error" : o.kind]++;
  return n;
}
