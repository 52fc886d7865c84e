// CSV that is safe to open in a spreadsheet (RFC 4180 quoting, formula injection neutralised).
//
// Protects: the person who opens an exported CSV. A cell that starts with = + - @, a tab or a carriage return is
// read by Excel, LibreOffice and Google Sheets as a formula (OWASP "CSV injection"): a chat message such as
// `=HYPERLINK("http://evil", "click")` would become a live link or worse. Such a cell gets a leading apostrophe,
// which spreadsheets show as text and hide. Every cell with a comma, quote, CR or LF is quoted, quotes doubled.

const FORMULA_START = /^[=+\-@\t\r]/;
const NEEDS_QUOTES = /[",\r\n]/;

/** One cell: null and undefined are empty; numbers and booleans as written by String(). */
export function csvCell(value: string | number | boolean | null | undefined): string {
  if (value === null || value === undefined) return "";
  let text = String(value);
  if (typeof value === "string" && FORMULA_START.test(text)) text = `'${text}`;
  return NEEDS_QUOTES.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** One record, ended by CRLF as RFC 4180 asks. */
export function toCsvRow(cells: readonly (string | number | boolean | null | undefined)[]): string {
  return `${cells.map(csvCell).join(",")}\r\n`;
}
