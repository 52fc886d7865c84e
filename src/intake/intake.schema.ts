// Input of intake forms: the admin's builder form (questions, in both languages) and a client's answers to them.
// Both are checked with zod here; a failed check names a key of the intake messages (messages.ts `intake.problems`),
// so a typo in a key is a type error, not a wrong message.
import { z } from "zod";
import type { Messages } from "../i18n/messages.ts";

export const FIELD_KINDS = ["short-text", "long-text", "single-choice", "multiple-choice", "date", "yes-no", "consent"] as const;
export type FieldKind = (typeof FIELD_KINDS)[number];
export const isChoice = (kind: FieldKind): boolean => kind === "single-choice" || kind === "multiple-choice";

export const MAX_FIELDS = 30;
export const MAX_LABEL = 500;
export const MAX_OPTIONS = 20;
export const MAX_OPTION = 120;
export const MAX_SHORT_ANSWER = 300;
export const MAX_LONG_ANSWER = 4000;

export interface Bilingual {
  en: string;
  ru: string;
}

/** One question, as saved in intake_forms.fields and in each answer's copy of the questions. */
export interface IntakeField {
  /** Stable across edits and reordering: answers are keyed by it. */
  id: string;
  kind: FieldKind;
  label: Bilingual;
  /** Choices only; empty for other kinds. */
  options: Bilingual[];
  required: boolean;
}

/** A client's answer to one question: text or a date (YYYY-MM-DD), option indexes, yes/no or a consent given. */
export type Answer = string | number | number[] | boolean | null;

export type IntakeProblem = keyof Messages["intake"]["problems"];
const p = (key: IntakeProblem): IntakeProblem => key;

// ── the builder ──

/** A question as the builder's plain form carries it (options one per line, "English | Русский"). */
export interface DraftField {
  id: string;
  kind: string;
  labelEn: string;
  labelRu: string;
  options: string;
  required: boolean;
}

export interface BuilderState {
  active: boolean;
  fields: DraftField[];
}

// Well above MAX_FIELDS, so "too many" is reported rather than the surplus silently dropped; the body limit bounds it anyway.
const PARSE_LIMIT = 100;

/** The builder form's fields in their order on the page (f0.*, f1.*, …); missing values read as empty. */
export function readBuilderForm(form: Readonly<Record<string, string>>): BuilderState {
  const indexes = [...new Set(Object.keys(form).flatMap((k) => /^f(\d{1,3})\.kind$/.exec(k)?.[1] ?? []))].map(Number).sort((a, b) => a - b).slice(0, PARSE_LIMIT);
  return {
    active: form.active === "on",
    fields: indexes.map((i) => ({
      id: form[`f${i}.id`] ?? "",
      kind: form[`f${i}.kind`] ?? "",
      labelEn: form[`f${i}.labelEn`] ?? "",
      labelRu: form[`f${i}.labelRu`] ?? "",
      options: (form[`f${i}.options`] ?? "").replace(/\r\n/g, "\n"),
      required: form[`f${i}.required`] === "on",
    })),
  };
}

export function draftOf(f: IntakeField): DraftField {
  return { id: f.id, kind: f.kind, labelEn: f.label.en, labelRu: f.label.ru, options: f.options.map((o) => (o.ru ? `${o.en} | ${o.ru}` : o.en)).join("\n"), required: f.required };
}

const line = (max: number, tooLong: IntakeProblem) => z.string().trim().max(max, tooLong);

const fieldSchema = z
  .object({
    id: z.string().regex(/^[A-Za-z0-9_-]{1,24}$/, p("invalid")),
    kind: z.enum(FIELD_KINDS, p("kind")),
    labelEn: line(MAX_LABEL, p("labelTooLong")),
    labelRu: line(MAX_LABEL, p("labelTooLong")),
    options: z.string().max(MAX_OPTIONS * (2 * MAX_OPTION + 4), p("tooManyOptions")),
    required: z.boolean(),
  })
  .transform((f, ctx): IntakeField => {
    if (!f.labelEn && !f.labelRu) ctx.addIssue({ code: "custom", path: ["labelEn"], message: p("labelRequired") });
    const options = isChoice(f.kind) ? parseOptions(f.options, ctx) : [];
    return { id: f.id, kind: f.kind, label: { en: f.labelEn, ru: f.labelRu }, options, required: f.required };
  });

function parseOptions(text: string, ctx: z.RefinementCtx): Bilingual[] {
  const options = text
    .split("\n")
    .map((l) => l.trim())
    .filter(Boolean)
    .map((l) => {
      const bar = l.indexOf("|");
      return bar < 0 ? { en: l, ru: "" } : { en: l.slice(0, bar).trim(), ru: l.slice(bar + 1).trim() };
    })
    .map((o) => ({ en: o.en || o.ru, ru: o.ru }));
  const problem =
    options.length < 2
      ? p("optionsNeeded")
      : options.length > MAX_OPTIONS
        ? p("tooManyOptions")
        : options.some((o) => o.en.length > MAX_OPTION || o.ru.length > MAX_OPTION)
          ? p("optionTooLong")
          : new Set(options.map((o) => o.en.toLowerCase())).size < options.length
            ? p("optionsDuplicate")
            : null;
  if (problem) ctx.addIssue({ code: "custom", path: ["options"], message: problem });
  return options;
}

export const builderSchema = z.object({
  active: z.boolean(),
  fields: z.array(fieldSchema).max(MAX_FIELDS, p("tooManyFields")),
});

export type ValidForm = z.infer<typeof builderSchema>;

/**
 * zod's issues as one message key per builder input: `f3.labelEn`, `f3.options`, …, and `fields` for the form as a
 * whole (too many questions). The first problem of each input wins.
 */
export function builderErrors(error: z.ZodError): Record<string, IntakeProblem> {
  const out: Record<string, IntakeProblem> = {};
  for (const issue of error.issues) {
    const [top, index, name] = issue.path;
    const key = top === "fields" && typeof index === "number" ? `f${index}.${String(name ?? "labelEn")}` : String(top ?? "fields");
    out[key] ??= isProblem(issue.message) ? issue.message : "invalid";
  }
  return out;
}

const PROBLEMS: ReadonlySet<string> = new Set<IntakeProblem>(["required", "invalid", "kind", "labelRequired", "labelTooLong", "optionTooLong", "tooManyOptions", "optionsNeeded", "optionsDuplicate", "tooManyFields", "answerTooLong", "choice", "date", "consent"]);
function isProblem(message: string): message is IntakeProblem {
  return PROBLEMS.has(message);
}

// ── the answers ──

/** The input names of a question in the client's form: `q.<id>`, and `q.<id>.<n>` per box of a multiple choice. */
export const answerName = (fieldId: string): string => `q.${fieldId}`;

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** A real calendar date (no 31 February), within a sane range for anything asked on an intake form. */
function realDate(value: string): boolean {
  const m = DATE.exec(value);
  if (!m) return false;
  const year = Number(m[1]);
  if (year < 1900 || year > 2100) return false;
  try {
    Temporal.PlainDate.from(value, { overflow: "reject" });
    return true;
  } catch {
    return false;
  }
}

function answerSchema(f: IntakeField): z.ZodType<Answer> {
  // "No" is an answer; only an unticked consent box is none.
  const blank = (v: Answer): boolean => v === null || v === "" || (v === false && f.kind === "consent") || (Array.isArray(v) && v.length === 0);
  const needed = <T extends Answer>(s: z.ZodType<T>, message: IntakeProblem = "required"): z.ZodType<Answer> =>
    f.required ? s.refine((v) => !blank(v), message) : s;
  const isIndex = (v: string): boolean => /^\d{1,2}$/.test(v) && Number(v) < f.options.length;
  const index = z.string().refine(isIndex, p("choice")).transform(Number);
  // An empty answer is "none", checked by `needed`; anything else must be valid in itself.
  const orNone = (valid: (v: string) => boolean, problem: IntakeProblem) => z.string().refine((v) => v === "" || valid(v), problem);
  switch (f.kind) {
    case "short-text":
    case "long-text":
      return needed(z.string().trim().max(f.kind === "short-text" ? MAX_SHORT_ANSWER : MAX_LONG_ANSWER, p("answerTooLong")));
    case "single-choice":
      return needed(orNone(isIndex, p("choice")).transform((v) => (v === "" ? null : Number(v))));
    case "multiple-choice":
      return needed(z.array(index).transform((a) => [...new Set(a)].sort((x, y) => x - y)));
    case "date":
      return needed(orNone(realDate, p("date")).transform((v) => v || null));
    case "yes-no":
      return needed(z.enum(["", "yes", "no"], p("choice")).transform((v) => (v === "" ? null : v === "yes")));
    case "consent":
      return needed(z.boolean(), "consent");
  }
}

/** What the form sent for one question, before checking: boxes of a multiple choice gathered, a checkbox as a boolean. */
function rawAnswer(f: IntakeField, form: Readonly<Record<string, string>>): unknown {
  const name = answerName(f.id);
  if (f.kind === "multiple-choice") {
    return Object.keys(form)
      .filter((k) => k.startsWith(`${name}.`) && form[k] === "on")
      .map((k) => k.slice(name.length + 1));
  }
  if (f.kind === "consent") return form[name] === "on";
  return form[name] ?? "";
}

export type ParsedAnswers = { ok: true; answers: Record<string, Answer> } | { ok: false; errors: Record<string, IntakeProblem>; values: Record<string, Answer> };

/** Checks every answer against its question: required, a choice among its options, a real date, lengths. */
export function parseAnswers(fields: readonly IntakeField[], form: Readonly<Record<string, string>>): ParsedAnswers {
  const answers: Record<string, Answer> = {};
  const values: Record<string, Answer> = {};
  const errors: Record<string, IntakeProblem> = {};
  for (const f of fields) {
    const raw = rawAnswer(f, form);
    const parsed = answerSchema(f).safeParse(raw);
    if (parsed.success) {
      answers[f.id] = parsed.data;
      values[f.id] = parsed.data;
    } else {
      const message = parsed.error.issues[0]?.message ?? "invalid";
      errors[f.id] = isProblem(message) ? message : "invalid";
      // What the client typed comes back in the form, so a refused answer loses nothing.
      values[f.id] = typeof raw === "string" ? raw : Array.isArray(raw) ? raw.map(Number).filter((n) => Number.isInteger(n)) : typeof raw === "boolean" ? raw : null;
    }
  }
  return Object.keys(errors).length ? { ok: false, errors, values } : { ok: true, answers };
}
