import { describe, expect, test } from "bun:test";
import { csvCell, csvDocument } from "./csv.ts";

describe("csv", () => {
  test("cells a spreadsheet would run as formulas open as text", () => {
    expect(csvCell("=HYPERLINK(\"http://x\")")).toBe(`"'=HYPERLINK(""http://x"")"`);
    expect(csvCell("+1")).toBe("'+1");
    expect(csvCell("-2")).toBe("'-2");
    expect(csvCell("@SUM(A1)")).toBe("'@SUM(A1)");
    expect(csvCell("\tx")).toBe("'\tx");
    expect(csvCell(-2)).toBe("-2"); // a number is a number
  });

  test("commas, quotes and line breaks are quoted; plain text is not", () => {
    expect(csvCell("Ivanov, Ivan")).toBe('"Ivanov, Ivan"');
    expect(csvCell('say "hi"')).toBe('"say ""hi"""');
    expect(csvCell("a\nb")).toBe('"a\nb"');
    expect(csvCell("Иван")).toBe("Иван");
    expect(csvCell(null)).toBe("");
  });

  test("a document starts with a byte-order mark and ends rows with CRLF", () => {
    expect(csvDocument(["a", "b"], [["1", 2]])).toBe("\uFEFFa,b\r\n1,2\r\n");
  });
});
