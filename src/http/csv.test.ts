import { expect, test } from "bun:test";
import { csvCell, csvDocument, csvRow } from "./csv.ts";

test("a cell that a spreadsheet would read as a formula gets a leading apostrophe", () => {
  const cases: [string, string][] = [
    ["=HYPERLINK(\"http://x\")", "\"'=HYPERLINK(\"\"http://x\"\")\""],
    ["+1", "'+1"],
    ["-2+3", "'-2+3"],
    ["@SUM(A1)", "'@SUM(A1)"],
    ["\t=1", "'\t=1"],
    ["\r=1", "\"'\r=1\""],
    ["plain", "plain"],
    ["a=b", "a=b"],
    ["", ""],
    ["Мария", "Мария"],
  ];
  for (const [value, cell] of cases) expect([value, csvCell(value)]).toEqual([value, cell]);
});

test("commas, quotes and line breaks are quoted; numbers and empty values are plain", () => {
  expect(csvCell("a,b")).toBe('"a,b"');
  expect(csvCell('say "hi"')).toBe('"say ""hi"""');
  expect(csvCell("two\nlines")).toBe('"two\nlines"');
  expect(csvCell(-5)).toBe("'-5"); // a negative number is a formula start too: shown as text, never evaluated
  expect(csvCell(7)).toBe("7");
  expect(csvCell(null)).toBe("");
  expect(csvRow(["a", 1, "=x"])).toBe("a,1,'=x\r\n");
  expect(csvDocument(["h1", "h2"], [["1", "2"]])).toBe("\uFEFFh1,h2\r\n1,2\r\n");
});
