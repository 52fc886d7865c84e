import { expect, test } from "bun:test";
import { csvCell, toCsvRow } from "./csv.ts";

test("cells a spreadsheet would run as formulas get a leading apostrophe", () => {
  expect(csvCell("=1+1")).toBe("'=1+1");
  expect(csvCell("+7 900 000")).toBe("'+7 900 000");
  expect(csvCell("-2")).toBe("'-2");
  expect(csvCell("@SUM(A1)")).toBe("'@SUM(A1)");
  expect(csvCell("\tcmd")).toBe("'\tcmd");
  expect(csvCell("\r=x")).toBe("\"'\r=x\"");
  expect(csvCell('=HYPERLINK("http://x","y")')).toBe(`"'=HYPERLINK(""http://x"",""y"")"`);
});

test("plain text, numbers and empty values pass unchanged; a negative number is a number, not a formula", () => {
  expect(csvCell("hello")).toBe("hello");
  expect(csvCell("a=b")).toBe("a=b");
  expect(csvCell(-3)).toBe("-3");
  expect(csvCell(42)).toBe("42");
  expect(csvCell(null)).toBe("");
  expect(csvCell(undefined)).toBe("");
  expect(csvCell("")).toBe("");
});

test("RFC 4180: commas, quotes and line breaks are quoted, quotes doubled, records end with CRLF", () => {
  expect(csvCell("a,b")).toBe('"a,b"');
  expect(csvCell('say "hi"')).toBe('"say ""hi"""');
  expect(csvCell("line\nbreak")).toBe('"line\nbreak"');
  expect(toCsvRow(["id", "text, with comma", 3, null])).toBe('id,"text, with comma",3,\r\n');
});
