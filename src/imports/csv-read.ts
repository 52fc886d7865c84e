// Reading an uploaded CSV file into a header and rows, each row either its cells or why it could not be read.
//
// Accepts what spreadsheets write: UTF-8 with or without a byte-order mark, comma- or semicolon-separated (Excel in
// Russian and most European locales writes semicolons), RFC 4180 quoting with quoted line breaks. Parsing is
// csv-parse's; a malformed record (a quote inside an unquoted cell, text after a closing quote) is reported on its own
// row and the rest of the file is still read. A quote that is never closed swallows the rest of the file: that row
// says so. Rows are numbered as a spreadsheet shows them (the header is row 1, a blank line or a line of separators
// only is a row too, a quoted line break is not), so the preview's numbers find the row in the file.
import { parse } from "csv-parse/sync";

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

/** The separator of the header line: a semicolon when it has more of them than commas (outside quotes). */
export function detectDelimiter(text: string): "," | ";" {
  let commas = 0;
  let semicolons = 0;
  let quoted = false;
  for (const ch of text) {
    if (ch === '"') quoted = !quoted;
    else if (!quoted && (ch === "\n" || ch === "\r")) break;
    else if (!quoted && ch === ",") commas++;
    else if (!quoted && ch === ";") semicolons++;
  }
  return semicolons > commas ? ";" : ",";
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
