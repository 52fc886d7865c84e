import { expect, test } from "bun:test";
import { csvCell, csvDocument, csvRow } from "./csv.ts";

test("a cell that a spreadsheet would read as a formula gets a leading apostrophe", () => {
  const cases: [string, string][] = [
    ["=HYPERLINK(\"http://x\")", "\"'=HYPERLINK(\"\"http://x\"\")\""],
    ["+1", "'+1"],
    ["-2+3", "'-2+3"],
    ["@SUM(A1)", "'@SUM(A1)"],
    ["\t=1", "\"'\t'=1\""], // a tab is quoted, and the part after it neutralised too (see below)
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

test("a cell with a semicolon or a tab is quoted: a spreadsheet that splits on them keeps it one cell", () => {
  expect(csvCell("Ivanov; Ivan")).toBe('"Ivanov; Ivan"');
  expect(csvCell("a\tb")).toBe('"a\tb"');
  // Excel in a Russian locale splits on ";": the row's cells stay five, and none starts a formula.
  const line = csvRow(["2026-01-01", "10:00", "Anna Berg", "Ivan;=cmd|' /C calc'!A0", "ivan@example.org"]);
  expect(line).toBe(`2026-01-01,10:00,Anna Berg,"Ivan;'=cmd|' /C calc'!A0",ivan@example.org\r\n`);
});

test("a part after a , ; or tab that starts like a formula is neutralised, for a reader that splits there whatever the quotes", () => {
  const cases: [string, string][] = [
    ["Ivan;=cmd|' /C calc'!A0", "\"Ivan;'=cmd|' /C calc'!A0\""],
    ["Ivan, +1", "\"Ivan, '+1\""],
    ["a;  @SUM(A1)", "\"a;  '@SUM(A1)\""],
    ["x\t-2", "\"x\t'-2\""],
    ["=1;=2", "\"'=1;'=2\""],
    ["10:00 - 11:00", "10:00 - 11:00"],
    ["Anna-Maria, Berg", "\"Anna-Maria, Berg\""],
  ];
  for (const [value, cell] of cases) expect([value, csvCell(value)]).toEqual([value, cell]);
  // Split on ";" as a naive reader does, no cell starts with = + - @.
  for (const [value] of cases) for (const part of csvCell(value).split(/[;,\t]/)) expect([value, part]).not.toEqual([value, expect.stringMatching(/^ *[=+\-@]/)]);
});

test("a semicolon separator on request: cells joined by ';', a cell holding a comma or semicolon still quoted, formulas still neutralised", () => {
  const semi = { separator: ";" } as const;
  expect(csvRow(["2026-01-01", "3500,00", "Ivanov; Ivan", "=1+1", "-2"], semi)).toBe(`2026-01-01;"3500,00";"Ivanov; Ivan";'=1+1;'-2\r\n`);
  expect(csvDocument(["h1", "h2"], [["1", "Ivan;=cmd"]], semi)).toBe(`\uFEFFh1;h2\r\n1;"Ivan;'=cmd"\r\n`);
  expect(csvRow(["a", "b"])).toBe("a,b\r\n"); // a comma unless asked
});
