// CSV for people to open in a spreadsheet (RFC 4180: comma-separated, CRLF line ends, a cell with a comma, quote or
// line break quoted, quotes doubled).
//
// Protects: whoever opens an exported file. A cell starting with = + - @, a tab or a carriage return is read as a
// formula by Excel, LibreOffice and Google Sheets ("CSV injection": =HYPERLINK(...) leaking the sheet, =cmd|... on
// old Excel). Such a cell gets a leading apostrophe, which the spreadsheet shows as text (OWASP's advice). Every
// export of this app writes its cells through `csvCell`, so a client's own words (a name, a chat message) can never
// run as a formula on a staff member's computer. Known limit: the apostrophe is visible to a program that reads the
// file as plain CSV; that is the price of being safe in the spreadsheets people actually use.

const FORMULA_START = /^[=+\-@\t\r]/;

/** The cell as text a spreadsheet shows as text: a formula-like start neutralised, then quoted if needed. */
export function csvCell(value: string | number | boolean | null | undefined): string {
  const text = value === null || value === undefined ? "" : String(value);
  const safe = FORMULA_START.test(text) ? `'${text}` : text;
  return /[",\r\n]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
}

/** One line of cells, CRLF-terminated. */
export function csvRow(cells: readonly (string | number | boolean | null | undefined)[]): string {
  return `${cells.map(csvCell).join(",")}\r\n`;
}

/** A header and rows as one document; a BOM first so Excel reads UTF-8 (Cyrillic) correctly. */
export function csvDocument(header: readonly string[], rows: readonly (readonly (string | number | boolean | null | undefined)[])[]): string {
  return `\uFEFF${csvRow(header)}${rows.map(csvRow).join("")}`;
}
