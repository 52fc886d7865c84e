// Which column of an uploaded file holds which field: guessed from the header (English and Russian words), changed by
// the person importing on the preview page, carried in the preview's and the confirmation's forms as col0…colN.
// Pure: no database, no request.

export const FIELDS = ["name", "email", "phone", "language", "timeZone"] as const;
export type Field = (typeof FIELDS)[number];
/** A column's role: one of the fields, or not imported. */
export type ColumnUse = Field | "ignore";

/** Header words for each field, normalised (see normaliseHeader). */
const HEADER_WORDS: Readonly<Record<Field, readonly string[]>> = {
  name: ["name", "full name", "fullname", "client", "client name", "patient", "specialist", "person", "фио", "ф и о", "имя", "полное имя", "клиент", "пациент", "специалист", "имя клиента", "фамилия имя отчество"],
  email: ["email", "e mail", "mail", "email address", "e mail address", "электронная почта", "почта", "эл почта", "адрес почты", "емейл", "имейл"],
  phone: ["phone", "telephone", "tel", "mobile", "phone number", "mobile phone", "телефон", "тел", "мобильный", "мобильный телефон", "номер телефона"],
  language: ["language", "lang", "locale", "язык"],
  timeZone: ["time zone", "timezone", "tz", "zone", "часовой пояс", "пояс", "таймзона", "временная зона"],
};

/** Lower case, punctuation (. , ; _ - : / ( ) *) as spaces, spaces collapsed, "ё" as "е". */
export function normaliseHeader(header: string): string {
  return header
    .toLocaleLowerCase("ru")
    .replaceAll("ё", "е")
    .replace(/[.,;_\-:/()*]+/g, " ")
    .replace(/\s+/g, " ")
    .trim();
}

/** The field a header names, if any. */
export function guessField(header: string): Field | null {
  const h = normaliseHeader(header);
  return FIELDS.find((f) => HEADER_WORDS[f].includes(h)) ?? null;
}

/** A use for every column, guessed from the header; a field claimed twice goes to its first column only. */
export function guessColumns(header: readonly string[]): ColumnUse[] {
  const taken = new Set<Field>();
  return header.map((h) => {
    const f = guessField(h);
    if (!f || taken.has(f)) return "ignore";
    taken.add(f);
    return f;
  });
}

function isColumnUse(v: string | undefined): v is ColumnUse {
  return v === "ignore" || (FIELDS as readonly string[]).includes(v ?? "");
}

/** The uses chosen in a form (col0…colN); a column the form does not name keeps its guess. */
export function columnsOfForm(header: readonly string[], form: Readonly<Record<string, string | undefined>>): ColumnUse[] {
  const guessed = guessColumns(header);
  return header.map((_, i) => {
    const chosen = form[`col${i}`];
    return isColumnUse(chosen) ? chosen : guessed[i]!;
  });
}

export type MappingProblem = { kind: "missing"; field: "name" | "email" } | { kind: "twice"; field: Field };

/** What keeps a mapping from being used: name and email need a column each, and no field may have two. */
export function mappingProblems(columns: readonly ColumnUse[]): MappingProblem[] {
  const problems: MappingProblem[] = [];
  for (const field of ["name", "email"] as const) if (!columns.includes(field)) problems.push({ kind: "missing", field });
  for (const field of FIELDS) if (columns.filter((c) => c === field).length > 1) problems.push({ kind: "twice", field });
  return problems;
}

/** The mapping as form fields, for the next form on the page. */
export function columnsAsForm(columns: readonly ColumnUse[]): Record<string, string> {
  return Object.fromEntries(columns.map((c, i) => [`col${i}`, c]));
}
