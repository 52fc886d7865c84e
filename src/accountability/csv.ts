// CSV for spreadsheets, safe against formula injection: a cell that a spreadsheet would run as a formula (starting
// with =, +, -, @, a tab or a carriage return) is written with a leading apostrophe, so it opens as text. Kept here
// until a shared writer exists in src/http; names and reasons in these reports are typed by people, so never trusted.

const FORMULA_START = /^[=+\-@\t\r]/;

/** One cell: neutralised if it could start a formula, quoted if it holds a comma, quote or line break. */
export function csvCell(value: string | number | null): string {
  if (value === null) return "";
  let text = String(value);
  if (typeof value === "string" && FORMULA_START.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** A whole document: a byte-order mark (so spreadsheets read UTF-8, Cyrillic included), rows ending in CRLF (RFC 4180). */
export function csvDocument(header: readonly string[], rows: readonly (readonly (string | number | null)[])[]): string {
  return `\uFEFF${[header, ...rows].map((r) => r.map(csvCell).join(",")).join("\r\n")}\r\n`;
}
