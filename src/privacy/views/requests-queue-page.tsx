import { Field, FormAlert, type FieldErrors, Notice, Select, TextArea } from "../../views/form.tsx";
import { Layout, type PageContext } from "../../views/layout.tsx";
import type { Law } from "../requests-deadline.ts";
import { LAWS } from "../requests-deadline.ts";
import { exportRefusal, type PrivacyRequest, REQUEST_KINDS, requestUrgency, STAFF_CHANNELS } from "../requests.ts";
import { formatDay, formatDueDay } from "./requests-dates.ts";

export interface QueueForm {
  email?: string;
  kind?: string;
  law?: string;
  channel?: string;
  received?: string;
  note?: string;
}

/** The queue of open requests (nearest deadline first), the form to record one, and the last closed. */
export function RequestQueuePage(p: {
  page: PageContext;
  timeZone: string;
  open: readonly PrivacyRequest[];
  /** The latest deadline an extension of the request may set; null: it may not be extended (again). */
  latestExtension: (r: PrivacyRequest) => number | null;
  closed: readonly PrivacyRequest[];
  isAdmin: boolean;
  defaultLaw: Law;
  today: string;
  notice?: string;
  message?: string;
  /** Errors of closing one request: its id and the message. */
  closeError?: { id: string; message: string };
  extendError?: { id: string; message: string };
  form?: QueueForm;
  errors?: FieldErrors;
}): JSX.Element {
  const { t, locale, now } = p.page;
  const d = t.dataRights;
  const q = d.queue;
  const day = (ms: number) => formatDay(locale, p.timeZone, ms);
  const name = (r: PrivacyRequest) => r.personName ?? q.erasedClient;
  return (
    <Layout page={p.page} title={q.title}>
      <h1>{q.title}</h1>
      <p class="kb-muted">{q.lead}</p>
      {p.notice ? <Notice>{p.notice}</Notice> : null}
      {p.message ? (
        <p role="alert" class="kb-alert">
          {p.message}
        </p>
      ) : null}
      {p.open.length === 0 ? <p>{q.empty}</p> : null}
      {p.open.map((r) => {
        const urgency = requestUrgency(r, now);
        return (
          <article data-request={r.id} data-urgency={urgency ?? undefined}>
            <header>
              <strong>{d.kinds[r.kind]}</strong> · {p.isAdmin && r.personName !== null ? <a href={`/admin/people/${r.personId}`}>{name(r)}</a> : name(r)}
              {r.cause === "consent-withdrawal" ? <> · {q.fromWithdrawal}</> : null}
              <br />
              {q.due}: {urgency === "overdue" ? <mark><strong>{q.overdue}: {formatDueDay(locale, p.timeZone, r.dueAt)}</strong></mark> : urgency === "soon" ? <mark>{q.soon}: {formatDueDay(locale, p.timeZone, r.dueAt)}</mark> : formatDueDay(locale, p.timeZone, r.dueAt)}
              {r.extendedFrom !== null ? <> ({q.extendedMark})</> : null}
            </header>
            <p class="kb-muted">
              {q.received}: {day(r.receivedAt)} · {q.law}: {d.laws[r.law]} · {q.channel}: {d.channels[r.channel]}
            </p>
            {r.note ? (
              <p>
                {q.noteLabel}: {r.note}
              </p>
            ) : null}
            <div class="kb-actions">
              {r.kind === "erasure" && r.personName !== null && p.isAdmin ? <a href={`/admin/people/${r.personId}/erase`}>{q.eraseLink}</a> : null}
              {(r.kind === "restriction" || r.kind === "objection") && r.personName !== null && p.isAdmin ? <a href={`/admin/people/${r.personId}/holds`}>{q.holdsLink}</a> : null}
              {r.kind === "objection" && r.personName !== null && p.isAdmin ? <a href={`/consent/clients/${r.personId}`}>{q.consentsLink}</a> : null}
              {p.isAdmin && r.personName !== null && exportRefusal(r) === null ? (
                <form method="post" action={`/admin/privacy/requests/${r.id}/export`} class="kb-inline">
                  <button type="submit" class="secondary">
                    {q.exportButton}
                  </button>
                </form>
              ) : null}
            </div>
            {urgency !== "overdue" && p.latestExtension(r) !== null ? <ExtendForm page={p.page} r={r} timeZone={p.timeZone} latest={p.latestExtension(r)!} error={p.extendError?.id === r.id ? p.extendError.message : undefined} /> : null}
            <details open={p.closeError?.id === r.id}>
              <summary>{q.closeOpen}</summary>
              <form method="post" action={`/admin/privacy/requests/${r.id}/close`} novalidate>
                {p.closeError?.id === r.id ? (
                  <p role="alert" class="kb-alert">
                    {p.closeError.message}
                  </p>
                ) : null}
                <fieldset>
                  <legend>{q.outcomeLabel}</legend>
                  <label>
                    <input type="radio" name="status" value="done" checked /> {q.done}
                  </label>
                  <label>
                    <input type="radio" name="status" value="refused" /> {q.refused}
                  </label>
                </fieldset>
                <label for={`outcome-${r.id}`}>{q.reasonLabel}</label>
                <textarea id={`outcome-${r.id}`} name="outcome" rows={2} maxlength={2000} />
                <button type="submit">{q.close}</button>
              </form>
            </details>
          </article>
        );
      })}
      <section aria-labelledby="record-title">
        <h2 id="record-title">{q.recordTitle}</h2>
        <FormAlert errors={p.errors} summary={t.form.errorSummary} />
        <form method="post" action="/admin/privacy/requests" novalidate>
          <Field name="email" type="email" label={q.clientEmail} value={p.form?.email} error={p.errors?.email} autocomplete="off" required />
          <Select name="kind" label={q.kind} value={p.form?.kind ?? "access"} error={p.errors?.kind} options={REQUEST_KINDS.map((k) => [k, d.kinds[k]] as const)} />
          <Select name="law" label={q.law} value={p.form?.law ?? p.defaultLaw} error={p.errors?.law} options={LAWS.map((l) => [l, d.laws[l]] as const)} />
          <Select name="channel" label={q.channel} value={p.form?.channel ?? "email"} error={p.errors?.channel} options={STAFF_CHANNELS.map((c) => [c, d.channels[c]] as const)} />
          <Field name="received" type="date" label={q.receivedOn} value={p.form?.received ?? p.today} error={p.errors?.received} required />
          <TextArea name="note" label={q.noteLabel} value={p.form?.note ?? ""} error={p.errors?.note} />
          <button type="submit">{q.recordSubmit}</button>
        </form>
      </section>
      {p.isAdmin ? (
        <section aria-labelledby="law-title">
          <h2 id="law-title">{q.defaultLawTitle}</h2>
          <form method="post" action="/admin/privacy/requests/law">
            <Select name="defaultLaw" label={q.defaultLawLabel} value={p.defaultLaw} options={LAWS.map((l) => [l, d.laws[l]] as const)} />
            <button type="submit" class="secondary">
              {q.defaultLawSave}
            </button>
          </form>
        </section>
      ) : null}
      {p.closed.length > 0 ? (
        <section aria-labelledby="closed-title">
          <h2 id="closed-title">{q.closedTitle}</h2>
          <ul>
            {p.closed.map((r) => (
              <li data-request={r.id}>
                {day(r.closedAt ?? r.receivedAt)} · {d.kinds[r.kind]} · {name(r)} · {d.status[r.status]}
                {r.outcome ? <> · {r.outcome}</> : null}
              </li>
            ))}
          </ul>
        </section>
      ) : null}
    </Layout>
  );
}

/** Extending one request's deadline: a day up to the law's limit and the reason the client is sent. */
function ExtendForm(p: { page: PageContext; r: PrivacyRequest; timeZone: string; latest: number; error?: string }): JSX.Element {
  const { t, locale } = p.page;
  const q = t.dataRights.queue;
  const day = (ms: number) => Temporal.Instant.fromEpochMilliseconds(ms - 1).toZonedDateTimeISO(p.timeZone).toPlainDate().toString();
  return (
    <details open={p.error !== undefined}>
      <summary>{q.extendOpen}</summary>
      <form method="post" action={`/admin/privacy/requests/${p.r.id}/extend`} novalidate>
        {p.error ? (
          <p role="alert" class="kb-alert">
            {p.error}
          </p>
        ) : null}
        <label for={`until-${p.r.id}`}>{q.extendUntil}</label>
        <input id={`until-${p.r.id}`} name="until" type="date" value={day(p.latest)} min={day(p.r.dueAt + 86_400_000)} max={day(p.latest)} aria-describedby={`until-hint-${p.r.id}`} required />
        <small id={`until-hint-${p.r.id}`}>{q.extendLatest(formatDueDay(locale, p.timeZone, p.latest))}</small>
        <label for={`extend-${p.r.id}`}>{q.extendReason}</label>
        <textarea id={`extend-${p.r.id}`} name="reason" rows={2} maxlength={2000} required />
        <button type="submit" class="secondary">
          {q.extendSubmit}
        </button>
      </form>
    </details>
  );
}
