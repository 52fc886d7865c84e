// CSV for people to open in a spreadsheet (RFC 4180: comma-separated, CRLF line ends, a cell with a comma, quote or
// line break quoted, quotes doubled; also one with a semicolon or a tab, see below).
//
// Protects: whoever opens an exported file. A cell starting with = + - @, a tab or a carriage return is read as a
// formula by Excel, LibreOffice and Google Sheets ("CSV injection": =HYPERLINK(...) leaking the sheet, =cmd|... on
// old Excel). Such a cell gets a leading apostrophe, which the spreadsheet shows as text (OWASP's advice). Every
// export of this app writes its cells through `csvCell`, so a client's own words (a name, a chat message) can never
// run as a formula on a staff member's computer.
// A spreadsheet may split the file on another separator than ours: Excel in a Russian or most European locales
// splits on ";", some readers on tabs. So a cell holding a ";" or a tab is quoted like one holding a comma, and in a
// cell where a part after a , ; or tab (and spaces) starts with = + - @, that part gets the apostrophe too: even a
// reader that ignores the quotes and splits there finds text, not a formula ("Ivan;=cmd|…" → "Ivan;'=cmd|…").
// The separator is a comma unless a caller asks for a semicolon (a file for Excel in those locales); either way a
// cell holding a comma or a semicolon is quoted, so a decimal comma ("3500,00") is quoted too, which Excel still reads
// as a number.
// Known limit: the apostrophe is visible to a program that reads the file as plain CSV; that is the price of being
// safe in the spreadsheets people actually use.

const FORMULA_START = /^[=+\-@\t\r]/;
const FORMULA_AFTER_SEPARATOR = /([,;\t] *)(?=[=+\-@])/g;
const NEEDS_QUOTES = /[",;\t\r\n]/;

/** Whether a spreadsheet would run the text (or, trimmed, its start) as a formula. */
export function startsLikeFormula(text: string): boolean {
  return FORMULA_START.test(text) || FORMULA_START.test(text.trim());
}

/** Whether a part of the text after a , ; or tab starts like a formula: a cell of its own where the file is split there. */
export function hasFormulaAfterSeparator(text: string): boolean {
  return new RegExp(FORMULA_AFTER_SEPARATOR.source).test(text);
}

/** The cell as text a spreadsheet shows as text: formula-like starts neutralised, then quoted if needed. */
export function csvCell(value: string | number | boolean | null | undefined): string {
  const text = value === null || value === undefined ? "" : String(value);
  const inner = text.replace(FORMULA_AFTER_SEPARATOR, "$1'");
  const safe = FORMULA_START.test(inner) ? `'${inner}` : inner;
  return NEEDS_QUOTES.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
}

export interface CsvOptions {
  /** "," (RFC 4180, the default) or ";" (what Excel in a Russian or most European locales opens in columns). */
  separator?: "," | ";";
}

type CsvValue = string | number | boolean | null | undefined;

/** One line of cells, CRLF-terminated. */
export function csvRow(cells: readonly CsvValue[], options: CsvOptions = {}): string {
  return `${cells.map(csvCell).join(options.separator ?? ",")}\r\n`;
}

/** A header and rows as one document; a BOM first so Excel reads UTF-8 (Cyrillic) correctly. */
export function csvDocument(header: readonly string[], rows: readonly (readonly CsvValue[])[], options: CsvOptions = {}): string {
  return `\uFEFF${csvRow(header, options)}${rows.map((r) => csvRow(r, options)).join("")}`;
}
