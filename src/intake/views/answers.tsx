// Questions and answers as people read them: the specialist before the call, the client looking back at what they sent.
import type { Locale, Messages } from "../../i18n/messages.ts";
import type { Answer, Bilingual, IntakeField } from "../intake.schema.ts";

export const inLocale = (text: Bilingual, locale: Locale): string => text[locale] || text.en || text.ru;

const dateFormats = new Map<Locale, Intl.DateTimeFormat>();

/** A date answer (YYYY-MM-DD) in the reader's words; a calendar date, so read in UTC, never shifted by a zone. */
function formatDate(value: string, locale: Locale): string {
  const [y, m, d] = value.split("-").map(Number) as [number, number, number];
  let f = dateFormats.get(locale);
  if (!f) dateFormats.set(locale, (f = new Intl.DateTimeFormat(locale, { dateStyle: "long", timeZone: "UTC" })));
  return f.format(Date.UTC(y, m - 1, d));
}

export function answerText(f: IntakeField, value: Answer | undefined, locale: Locale, t: Messages): string {
  const none = t.intake.fill.noAnswer;
  if (value === undefined || value === null || value === "") return none;
  const option = (i: number) => (f.options[i] ? inLocale(f.options[i]!, locale) : none);
  switch (f.kind) {
    case "single-choice":
      return typeof value === "number" ? option(value) : none;
    case "multiple-choice":
      return Array.isArray(value) && value.length ? value.map(option).join("; ") : none;
    case "date":
      return typeof value === "string" ? formatDate(value, locale) : none;
    case "yes-no":
      return value === true ? t.intake.fill.yes : value === false ? t.intake.fill.no : none;
    case "consent":
      return value === true ? t.intake.fill.given : none;
    default:
      return String(value);
  }
}

export function AnswerList(p: { t: Messages; locale: Locale; fields: readonly IntakeField[]; answers: Readonly<Record<string, Answer>> }): JSX.Element {
  return (
    <dl class="kb-facts" data-testid="intake-answers">
      {p.fields.map((f) => (
        <>
          <dt>{inLocale(f.label, p.locale)}</dt>
          {/* A long answer keeps the client's line breaks. */}
          <dd>{answerText(f, p.answers[f.id], p.locale, p.t).split("\n").flatMap((line, i) => (i === 0 ? [line] : [<br />, line]))}</dd>
        </>
      ))}
    </dl>
  );
}
