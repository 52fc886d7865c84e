// The separator of an uploaded file, judged on its rows: the cases spreadsheets actually write.
import { expect, test } from "bun:test";
import { detectDelimiter } from "./csv-read.ts";

test("the separator is the one that gives a consistent number of columns, not the one the header has most of", () => {
  const cases: [string, string, "," | ";"][] = [
    ["Excel in Russian: bare commas in the header", "Фамилия, имя, отчество;E-mail\r\nИванов Иван Иванович;ivan@example.org\r\n", ";"],
    ["bare commas in every row too: the header that names the email decides", "Фамилия, имя, отчество;E-mail\r\nИванов, Иван;ivan@example.org\r\n", ";"],
    ["a header alone", "Фамилия, имя, отчество;E-mail\r\n", ";"],
    ["a semicolon file with a comma in a name", "name;email\nSmith, John;john@example.org\n", ";"],
    ["a comma file with a bare semicolon in a note", "name,email,notes\nAnna,anna@example.org,call; then mail\n", ","],
    ["a comma file with quoted semicolons", 'name,email,notes\n"Anna; B",anna@example.org,"a;b"\n', ","],
    ["one column", "name\nAnna\n", ","],
    ["a broken row does not outvote the rest", "name;email\nA;a@example.org\nB;b@example.org\nC,c@example.org\n", ";"],
  ];
  for (const [name, text, separator] of cases) expect([name, detectDelimiter(text)]).toEqual([name, separator]);
});
