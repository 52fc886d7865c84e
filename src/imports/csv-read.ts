// Reading an uploaded CSV file into a header and rows, each row either its cells or why it could not be read.
//
// Accepts what spreadsheets write: UTF-8 with or without a byte-order mark, comma- or semicolon-separated (Excel in
// Russian and most European locales writes semicolons; see detectDelimiter), RFC 4180 quoting with quoted line breaks. Parsing is
// csv-parse's; a malformed record (a quote inside an unquoted cell, text after a closing quote) is reported on its own
// row and the rest of the file is still read. A quote that is never closed swallows the rest of the file: that row
// says so. Rows are numbered as a spreadsheet shows them (the header is row 1, a blank line or a line of separators
// only is a row too, a quoted line break is not), so the preview's numbers find the row in the file.
import { parse } from "csv-parse/sync";
import { guessField } from "./columns.ts";

/** The largest file taken: some ten thousand short rows; a bigger list is imported in parts. */
export const IMPORT_MAX_BYTES = 1024 * 1024;
/** The most data rows in one import: one transaction adds them all while holding the write lock. */
export const IMPORT_MAX_ROWS = 2000;

export type RowProblem = "quotes" | "unclosed-quote" | "column-count";

export type CsvRow = { row: number; cells: string[] } | { row: number; problem: RowProblem };

export interface CsvTable {
  header: string[];
  rows: CsvRow[];
  delimiter: "," | ";";
}

export type FileProblem = "empty" | "too-large" | "not-utf8" | "bad-header" | "no-rows" | "too-many-rows";

export type CsvReadResult = { ok: true; table: CsvTable } | { ok: false; problem: FileProblem };

/** The file's text: UTF-8, its byte-order mark dropped. Null when the bytes are not UTF-8 (an ANSI/Windows-1251 export). */
export function decodeCsv(bytes: Uint8Array): string | null {
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes); // drops a leading BOM
  } catch {
    return null;
  }
}

/** How many records of the file's start are read to tell its separator. */
const SAMPLE_RECORDS = 50;
const SEPARATORS = [";", ","] as const;

interface Reading {
  delimiter: "," | ";";
  columns: number;
  /** The share of sampled data rows that have the header's number of cells (1 when there are none). */
  consistent: number;
  knowsEmail: boolean;
}

function readStartWith(text: string, delimiter: "," | ";"): Reading {
  const records: (string[] | null)[] = [];
  parse(text, {
    delimiter,
    relax_column_count: true,
    skip_empty_lines: true,
    skip_records_with_error: true,
    to: SAMPLE_RECORDS,
    on_record: (record: string[]) => {
      if (record.some((c) => c.trim() !== "")) records.push(record);
      return record;
    },
    on_skip: () => void records.push(null),
  });
  const [header, ...rows] = records;
  const columns = header?.length ?? 0;
  const matching = rows.filter((r) => r?.length === columns).length;
  return { delimiter, columns, consistent: rows.length === 0 ? 1 : matching / rows.length, knowsEmail: (header ?? []).some((h) => guessField(h) === "email") };
}

/**
 * The file's separator, judged on its first rows read each way. Counting separators in the header is not enough:
 * Excel in a semicolon locale does not quote a comma, so "Фамилия, имя, отчество;E-mail" has two commas to one
 * semicolon. The separator kept is the one that gives at least two columns and the same number of cells on the most
 * rows; when both do equally well (commas inside every row too), the one under which a header names the email; then
 * the semicolon, since an unquoted comma inside a cell is common in a semicolon file and an unquoted semicolon on
 * every row of a comma file is not. A file of one column is read as comma-separated.
 */
export function detectDelimiter(text: string): "," | ";" {
  const readings = SEPARATORS.map((d) => readStartWith(text, d)).filter((r) => r.columns >= 2);
  readings.sort((a, b) => b.consistent - a.consistent || Number(b.knowsEmail) - Number(a.knowsEmail));
  return readings[0]?.delimiter ?? ",";
}

/** The header and every data row of the text (already decoded). */
export function readCsv(text: string): CsvReadResult {
  if (text.trim() === "") return { ok: false, problem: "empty" };
  const delimiter = detectDelimiter(text);
  // Each record's row as a spreadsheet numbers it: every record before it (read or not) and every blank line
  // skipped so far is a row there, and a quoted line break is not a new row. (csv-parse's own `lines` counts a quoted
  // CRLF as two, so it is not used.)
  const records: ({ row: number; cells: string[] } | { row: number; problem: RowProblem })[] = [];
  const rowOf = (info: { empty_lines: number }) => records.length + info.empty_lines + 1;
  parse(text, {
    delimiter,
    relax_column_count: true,
    skip_empty_lines: true,
    skip_records_with_error: true,
    on_record: (record: string[], info) => {
      records.push({ row: rowOf(info), cells: record });
      return record;
    },
    on_skip: (err) => {
      const e = err as { code?: string; empty_lines?: number } | undefined;
      records.push({ row: rowOf({ empty_lines: e?.empty_lines ?? 0 }), problem: e?.code === "CSV_QUOTE_NOT_CLOSED" ? "unclosed-quote" : "quotes" });
    },
  });
  // A line of separators only (";;;", Excel's way of writing an empty row) is no row to import, but keeps its number.
  const kept = records.filter((r) => !("cells" in r) || r.cells.some((c) => c.trim() !== ""));
  const first = kept[0];
  if (!first) return { ok: false, problem: "empty" };
  if (!("cells" in first)) return { ok: false, problem: "bad-header" };
  if (kept.length === 1) return { ok: false, problem: "no-rows" };
  if (kept.length - 1 > IMPORT_MAX_ROWS) return { ok: false, problem: "too-many-rows" };
  const header = first.cells.map((h) => h.trim());
  const rows = kept.slice(1).map((r): CsvRow => {
    if (!("cells" in r)) return r;
    return r.cells.length === header.length ? { row: r.row, cells: r.cells } : { row: r.row, problem: "column-count" };
  });
  return { ok: true, table: { header, rows, delimiter } };
}

/** Bytes to table, with every file-level refusal. */
export function readCsvFile(bytes: Uint8Array): CsvReadResult {
  if (bytes.length === 0) return { ok: false, problem: "empty" };
  if (bytes.length > IMPORT_MAX_BYTES) return { ok: false, problem: "too-large" };
  const text = decodeCsv(bytes);
  return text === null ? { ok: false, problem: "not-utf8" } : readCsv(text);
}
