// The client's intake form for one appointment, and the answers page its specialist and admins see at the same address.
import { dateTimeFormat } from "../../i18n/format.ts";
import { FormAlert, Notice } from "../../views/form.tsx";
import { Layout, type PageContext } from "../../views/layout.tsx";
import { type ClientIntake, type IntakeAnswers, intakeEditable } from "../intake.ts";
import { type Answer, answerName, type IntakeField, type IntakeProblem, MAX_LONG_ANSWER, MAX_SHORT_ANSWER } from "../intake.schema.ts";
import { AnswerList, inLocale } from "./answers.tsx";

const back = (page: PageContext, appointmentId: string): JSX.Element => (
  <p>
    <a href={`/appointments/${appointmentId}`}>← {page.t.intake.fill.back}</a>
  </p>
);

export function IntakeFillPage(p: {
  page: PageContext;
  intake: ClientIntake;
  timeZone: string;
  /** What the form shows: the client's last answers, or what they just sent when it was refused. */
  values: Readonly<Record<string, Answer>>;
  errors?: Readonly<Record<string, IntakeProblem>>;
  notice?: string;
  problem?: string;
}): JSX.Element {
  const { t, locale } = p.page;
  const f = t.intake.fill;
  const when = dateTimeFormat(p.page, p.timeZone);
  const { appointment: a, form, response } = p.intake;
  const e = p.errors ?? {};
  return (
    <Layout page={p.page} title={f.title}>
      {back(p.page, a.id)}
      <h1>{f.title}</h1>
      {p.notice ? <Notice>{p.notice}</Notice> : null}
      {p.problem ? <FormAlert message={p.problem} summary={p.problem} /> : null}
      {p.intake.withheld ? (
        <p>
          {f.withheld} <a href="/account">{t.nav.account}</a>
        </p>
      ) : form ? (
        <>
          <p>{f.lead}</p>
          {response ? <p class="kb-muted">{f.sentAt(when.format(response.updatedAt))}</p> : null}
          <form method="post" action={`/appointments/${a.id}/intake`} novalidate>
            <FormAlert errors={e} summary={t.form.errorSummary} />
            {form.fields.map((field) => (
              <Question page={p.page} field={field} value={p.values[field.id]} error={e[field.id] ? t.intake.problems[e[field.id]!] : undefined} />
            ))}
            <button type="submit">{f.send}</button>
          </form>
        </>
      ) : (
        <>
          <p>{intakeEditable(a, p.page.now) ? f.notAsked : f.closed}</p>
          {response ? (
            <section aria-labelledby="intake-yours">
              <h2 id="intake-yours">{f.yourAnswers}</h2>
              <p class="kb-muted">{f.sentAt(when.format(response.updatedAt))}</p>
              <AnswerList t={t} locale={locale} fields={response.fields} answers={response.answers} />
            </section>
          ) : null}
        </>
      )}
    </Layout>
  );
}

/** One question as its kind asks it; the error sits by it and is tied to it, like every field's. */
function Question(p: { page: PageContext; field: IntakeField; value: Answer | undefined; error?: string }): JSX.Element {
  const { t, locale } = p.page;
  const f = p.field;
  const name = answerName(f.id);
  const id = `f-q-${f.id}`;
  const label = f.required ? inLocale(f.label, locale) : t.intake.fill.optional(inLocale(f.label, locale));
  const invalid = p.error ? "true" : undefined;
  const describedBy = p.error ? `${id}-error` : undefined;
  const error = p.error ? <small id={`${id}-error`}>{p.error}</small> : null;
  const v = p.value;
  const group = (children: JSX.Element[]) => (
    <fieldset id={id} aria-invalid={invalid} aria-describedby={describedBy}>
      <legend>{label}</legend>
      {children}
      {error}
    </fieldset>
  );
  switch (f.kind) {
    case "short-text":
    case "date":
      return (
        <>
          <label for={id}>{label}</label>
          <input id={id} name={name} type={f.kind === "date" ? "date" : "text"} value={typeof v === "string" ? v : ""} maxlength={f.kind === "date" ? undefined : MAX_SHORT_ANSWER} required={f.required} aria-invalid={invalid} aria-describedby={describedBy} />
          {error}
        </>
      );
    case "long-text":
      return (
        <>
          <label for={id}>{label}</label>
          <textarea id={id} name={name} rows={4} maxlength={MAX_LONG_ANSWER} required={f.required} aria-invalid={invalid} aria-describedby={describedBy}>
            {typeof v === "string" ? v : ""}
          </textarea>
          {error}
        </>
      );
    case "single-choice":
      return group(
        f.options.map((o, i) => (
          <label>
            <input type="radio" name={name} value={String(i)} checked={v === i} />
            {inLocale(o, locale)}
          </label>
        )),
      );
    case "multiple-choice":
      return group(
        f.options.map((o, i) => (
          <label>
            <input type="checkbox" name={`${name}.${i}`} value="on" checked={Array.isArray(v) && v.includes(i)} />
            {inLocale(o, locale)}
          </label>
        )),
      );
    case "yes-no":
      return group([
        <label>
          <input type="radio" name={name} value="yes" checked={v === true} />
          {t.intake.fill.yes}
        </label>,
        <label>
          <input type="radio" name={name} value="no" checked={v === false} />
          {t.intake.fill.no}
        </label>,
      ]);
    case "consent":
      return (
        <>
          <label>
            <input type="checkbox" name={name} value="on" checked={v === true} aria-invalid={invalid} aria-describedby={describedBy} />
            {label}
          </label>
          {error}
        </>
      );
  }
}

/** The answers for the appointment's specialist or an admin, or why there are none to read. */
export function IntakeAnswersSection(p: { page: PageContext; answers: IntakeAnswers | null; asked: boolean; timeZone: string; headingLevel?: 1 | 2 }): JSX.Element | null {
  const { t, locale } = p.page;
  const x = t.intake.panel;
  if (!p.answers && !p.asked) return null;
  const when = dateTimeFormat(p.page, p.timeZone);
  const a = p.answers;
  const body =
    a === null ? (
      <p class="kb-muted">{x.notYet}</p>
    ) : a.state === "erased" ? (
      <p class="kb-muted">{x.erased}</p>
    ) : a.state === "withheld" ? (
      <p class="kb-muted">{x.withheld}</p>
    ) : (
      <>
        <p class="kb-muted">{x.answeredAt(when.format(a.updatedAt), a.formVersion)}</p>
        <AnswerList t={t} locale={locale} fields={a.fields} answers={a.answers} />
      </>
    );
  return (
    <section aria-labelledby="intake-title">
      {p.headingLevel === 1 ? <h1 id="intake-title">{x.title}</h1> : <h2 id="intake-title">{x.title}</h2>}
      {body}
    </section>
  );
}

export function IntakeAnswersPage(p: { page: PageContext; appointmentId: string; answers: IntakeAnswers | null; asked: boolean; timeZone: string }): JSX.Element {
  return (
    <Layout page={p.page} title={p.page.t.intake.panel.title}>
      {back(p.page, p.appointmentId)}
      <IntakeAnswersSection page={p.page} answers={p.answers} asked={true} timeZone={p.timeZone} headingLevel={1} />
    </Layout>
  );
}

/** On the client's appointment page: what to do about the form (answer it, change it, or see what was sent). */
export function ClientIntakeNotice(p: { page: PageContext; intake: ClientIntake; timeZone: string }): JSX.Element | null {
  const x = p.page.t.intake.panel;
  const { appointment: a, form, response, withheld } = p.intake;
  const href = `/appointments/${a.id}/intake`;
  if (!withheld && !response && !form) return null;
  const when = dateTimeFormat(p.page, p.timeZone);
  return (
    <section aria-labelledby="intake-title">
      <h2 id="intake-title">{x.title}</h2>
      {withheld ? (
        intakeEditable(a, p.page.now) ? (
          <p>
            {p.page.t.intake.fill.withheld} <a href="/account">{p.page.t.nav.account}</a>
          </p>
        ) : null
      ) : response ? (
        <p>
          {x.clientDone(when.format(response.updatedAt))} <a href={href}>{form ? x.clientChange : x.clientView}</a>
        </p>
      ) : (
        <div class="kb-notice">
          <p>{x.clientTodo}</p>
          <a href={href} role="button">
            {x.clientOpen}
          </a>
        </div>
      )}
    </section>
  );
}
