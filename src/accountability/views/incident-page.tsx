import { dateTimeFormat } from "../../i18n/format.ts";
import { ActionButton, type FieldErrors, FormAlert, Notice, Select } from "../../views/form.tsx";
import { Layout, type PageContext } from "../../views/layout.tsx";
import { type DeadlineState, incidentDeadlines, spanParts } from "../deadlines.ts";
import { type Incident, NOTIFICATIONS } from "../incidents.ts";
import { DateTimeField } from "./incident-fields.tsx";

/** Where one deadline stands, in words: met, late, overdue (marked) or how long is left. */
export function DeadlineText(p: { page: PageContext; status: DeadlineState; timeZone: string }): JSX.Element {
  const i = p.page.t.accountability.incidents;
  const when = dateTimeFormat(p.page, p.timeZone);
  const span = (ms: number) => {
    const s = spanParts(ms);
    return i.span(s.days, s.hours, s.minutes);
  };
  const s = p.status;
  switch (s.state) {
    case "met":
      return <span data-deadline="met">{i.met(when.format(s.doneAt))}</span>;
    case "late":
      return <span data-deadline="late">{i.late(when.format(s.doneAt), span(s.lateByMs))}</span>;
    case "overdue":
      return (
        <strong data-deadline="overdue">
          <mark>{i.overdue(when.format(s.dueAt), span(s.overdueByMs))}</mark>
        </strong>
      );
    case "due":
      return <span data-deadline="due">{i.dueIn(when.format(s.dueAt), span(s.remainingMs))}</span>;
  }
}

export function IncidentPage(p: { page: PageContext; incident: Incident; timeZone: string; nowLocal: string; notice?: string; errors?: FieldErrors; form?: { kind: string; at: string } }): JSX.Element {
  const { t } = p.page;
  const i = t.accountability.incidents;
  const x = p.incident;
  const when = dateTimeFormat(p.page, p.timeZone);
  const base = `/admin/accountability/incidents/${x.id}`;
  const notified = { authority: x.authorityNotifiedAt, roskomnadzor: x.roskomnadzorNotifiedAt, subjects: x.subjectsNotifiedAt, "follow-up": x.followUpAt } as const;
  return (
    <Layout page={p.page} title={x.title}>
      <p>
        <a href="/admin/accountability/incidents">← {i.back}</a>
      </p>
      <h1>{x.title}</h1>
      {p.notice ? <Notice>{p.notice}</Notice> : null}
      <FormAlert errors={p.errors} summary={t.form.errorSummary} />
      <p>
        {x.closedAt === null ? i.open : i.closed(when.format(x.closedAt))} · {i.discoveredAt(when.format(x.discoveredAt))} · {i.occurredAt(x.occurredAt === null ? i.unknown : when.format(x.occurredAt))}
      </p>
      {x.description ? <blockquote>{x.description}</blockquote> : null}
      <section aria-labelledby="deadlines-title">
        <h2 id="deadlines-title">{i.deadlines}</h2>
        <ul data-testid="deadlines">
          {incidentDeadlines(x, p.page.now).map((d) => (
            <li data-kind={d.kind}>
              {i.kinds[d.kind]}: <DeadlineText page={p.page} status={d.status} timeZone={p.timeZone} />
            </li>
          ))}
        </ul>
      </section>
      <section aria-labelledby="affected-title">
        <h2 id="affected-title">{i.affected(x.affectedCount)}</h2>
        {x.affected.length > 0 ? (
          <ul data-testid="affected">
            {x.affected.map((a) => (
              <li>{a.erased ? <span class="kb-muted">{`${i.erased} (${a.id})`}</span> : <a href={`/admin/people/${a.id}`}>{a.name}</a>}</li>
            ))}
          </ul>
        ) : null}
        {x.others ? <p>{x.others}</p> : null}
        <p>
          <a href={`${base}/edit`}>{i.edit}</a>
        </p>
      </section>
      <section aria-labelledby="notifications-title">
        <h2 id="notifications-title">{i.notifications}</h2>
        <dl class="kb-facts">
          {NOTIFICATIONS.map((k) => (
            <>
              <dt>{i.notified[k]}</dt>
              <dd>{notified[k] === null ? i.notYet : when.format(notified[k])}</dd>
            </>
          ))}
        </dl>
        <h3>{i.notify}</h3>
        <form method="post" action={`${base}/notifications`}>
          <div class="grid">
            <div>
              <Select name="kind" label={i.notifyWho} value={p.form?.kind} error={p.errors?.kind} options={NOTIFICATIONS.map((k) => [k, i.notified[k]] as const)} />
            </div>
            <div>
              <DateTimeField name="at" label={i.notifyAt} value={p.form?.at ?? p.nowLocal} error={p.errors?.at} />
            </div>
          </div>
          <button type="submit">{i.notifySave}</button>
        </form>
      </section>
      <ActionButton action={`${base}/${x.closedAt === null ? "close" : "reopen"}`} label={x.closedAt === null ? i.close : i.reopen} variant="secondary" />
    </Layout>
  );
}
