import { dateTimeFormat } from "../../i18n/format.ts";
import { AnswerList } from "../../intake/views/answers.tsx";
import { type FieldErrors, FormAlert } from "../../views/form.tsx";
import { Layout, type PageContext } from "../../views/layout.tsx";
import { BREAK_GLASS_REASON_MAX } from "../care.ts";
import type { ClientListEntry, ClientRecord } from "../record.ts";

const sizeOf = (bytes: number): string => (bytes < 1024 ? `${bytes} B` : bytes < 1024 * 1024 ? `${Math.round(bytes / 1024)} KB` : `${(bytes / 1024 / 1024).toFixed(1)} MB`);

export function ClientsPage(p: { page: PageContext; clients: readonly ClientListEntry[]; more: boolean; query: string; isAdmin: boolean }): JSX.Element {
  const t = p.page.t.care;
  return (
    <Layout page={p.page} title={t.clientsTitle}>
      <h1>{t.clientsTitle}</h1>
      <p>{p.isAdmin ? t.clientsLeadAdmin : t.clientsLead}</p>
      <form method="post" action="/clients/search" role="search">
        <label for="f-q">{t.search}</label>
        <input id="f-q" name="q" type="search" value={p.query} maxlength={100} />
        <button type="submit">{t.searchButton}</button>
      </form>
      {p.clients.length === 0 ? <p class="kb-muted">{p.query ? t.noMatch : t.noClients}</p> : null}
      <ul>
        {p.clients.map((c) => (
          <li>
            <a href={`/clients/${c.id}`}>{c.name}</a>
            {c.inCare ? null : <span class="kb-muted"> · {t.outsideCare}</span>}
          </li>
        ))}
      </ul>
      {p.more ? <p class="kb-muted">{t.more(p.clients.length)}</p> : null}
    </Layout>
  );
}

export function ClientRecordPage(p: { page: PageContext; record: ClientRecord; timeZone: string }): JSX.Element {
  const { t } = p.page;
  const c = t.care;
  const when = dateTimeFormat(p.page, p.timeZone);
  const r = p.record;
  const base = `/clients/${r.client.id}`;
  return (
    <Layout page={p.page} title={c.recordTitle(r.client.name)}>
      <h1>{c.recordTitle(r.client.name)}</h1>
      {r.access.via === "break-glass" ? (
        <p role="status" class="kb-alert kb-break-glass">
          {c.underGrant(when.format(r.access.expiresAt))}
        </p>
      ) : null}
      {r.restricted ? (
        <p class="kb-alert" data-restricted="true">
          {p.page.t.retention.holds.restrictedMark}
        </p>
      ) : null}
      <section aria-labelledby="rec-contact">
        <h2 id="rec-contact">{c.contact}</h2>
        <dl>
          <dt>{c.email}</dt>
          <dd>{r.client.email}</dd>
          <dt>{c.phone}</dt>
          <dd>{r.client.phone ?? "—"}</dd>
        </dl>
      </section>
      <section aria-labelledby="rec-appointments">
        <h2 id="rec-appointments">{c.appointments}</h2>
        {r.appointments.length === 0 ? (
          <p class="kb-muted">{c.noAppointments}</p>
        ) : (
          // Scrolls sideways on a phone: a focusable, named region, so the keyboard can scroll it too.
          <div class="kb-table" role="region" aria-labelledby="rec-appointments" tabindex={0}>
            <table>
              <thead>
                <tr>
                  <th scope="col">{c.when}</th>
                  <th scope="col">{c.service}</th>
                  <th scope="col">{c.specialist}</th>
                  <th scope="col">{t.booking.appt.statusLabel}</th>
                </tr>
              </thead>
              <tbody>
                {r.appointments.map((a) => (
                  <tr>
                    <td>{when.format(a.start)}</td>
                    <td>{a.service ? a.service[p.page.locale] || a.service.en || a.service.ru : "—"}</td>
                    <td>{a.specialist}</td>
                    <td>{t.booking.appt.status[a.status]}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
      <section aria-labelledby="rec-intake">
        <h2 id="rec-intake">{c.intake}</h2>
        {r.intake.state === "erased" ? <p class="kb-muted">{t.intake.panel.erased}</p> : null}
        {r.intake.state === "withheld" ? <p class="kb-muted">{t.intake.panel.withheld}</p> : null}
        {r.intake.state === "answered" && r.intake.responses.length === 0 ? <p class="kb-muted">{c.noIntake}</p> : null}
        {r.intake.responses.map((a) => (
          <article>
            <h3>{c.intakeFor(when.format(r.appointments.find((x) => x.id === a.appointmentId)?.start ?? a.submittedAt))}</h3>
            <AnswerList t={t} locale={p.page.locale} fields={a.fields} answers={a.answers} />
          </article>
        ))}
        <p>
          <a href={`/consent/clients/${r.client.id}`}>{c.consents}</a>
        </p>
      </section>
      <section aria-labelledby="rec-notes">
        <h2 id="rec-notes">{c.notes}</h2>
        {r.notes.length === 0 ? <p class="kb-muted">{c.noNotes}</p> : null}
        <ul>
          {r.notes.map((n) => (
            <li>
              <a href={`${base}/notes/${n.id}`}>{t.records.note(when.format(n.createdAt))}</a> · {t.records.versions(n.versions)}
              {n.finalisedAt !== null ? ` · ${t.records.finalisedShort}` : null}
            </li>
          ))}
        </ul>
        <p>
          <a href={`${base}/notes`}>{c.openNotes}</a>
        </p>
      </section>
      <section aria-labelledby="rec-consultations">
        <h2 id="rec-consultations">{c.consultations}</h2>
        {r.consultations.length === 0 ? <p class="kb-muted">{c.noConsultations}</p> : null}
        {r.consultations.map((room) => (
          <article>
            <h3>{c.consultationOf(when.format(room.appointmentStart))}</h3>
            {room.chat.length > 0 ? (
              <>
                <h4>{c.chat}</h4>
                <ol class="kb-chat-record">
                  {room.chat.map((m) => (
                    <li>
                      <small class="kb-muted">
                        {m.author}, {when.format(m.at)}
                      </small>
                      <p>{m.text}</p>
                    </li>
                  ))}
                </ol>
              </>
            ) : null}
            {room.files.length > 0 ? (
              <>
                <h4>{c.files}</h4>
                {r.filesWithheld ? <p class="kb-muted">{p.page.t.consent.filesRefusedBySubject}</p> : null}
                <ul>
                  {room.files.map((f) => (
                    <li>
                      {r.filesWithheld ? (
                        f.name
                      ) : (
                        <a href={`${base}/rooms/${room.roomId}/files/${f.id}`} download>
                          {f.name}
                        </a>
                      )}{" "}
                      <span class="kb-muted">
                        ({sizeOf(f.size)}, {f.uploader})
                      </span>
                    </li>
                  ))}
                </ul>
              </>
            ) : null}
          </article>
        ))}
      </section>
    </Layout>
  );
}

/** What a viewer outside the care sees: not found, with the way to emergency access (the same for any id, so it does not tell whether the client exists). */
export function RecordNotFoundPage(p: { page: PageContext; clientId: string }): JSX.Element {
  const { t } = p.page;
  return (
    <Layout page={p.page} title={t.errors.notFoundTitle}>
      <h1>{t.errors.notFoundTitle}</h1>
      <p>{t.errors.notFoundText}</p>
      <p class="kb-muted">{t.care.breakGlassOffer}</p>
      <p>
        <a href={`/clients/${p.clientId}/break-glass`}>{t.care.breakGlassLink}</a>
      </p>
    </Layout>
  );
}

export function BreakGlassPage(p: { page: PageContext; clientId: string; minutes: number; minChars: number; reason: string; errors?: FieldErrors }): JSX.Element {
  const t = p.page.t.care;
  const e = p.errors ?? {};
  const describedBy = [e.reason ? "f-reason-error" : null, "f-reason-hint"].filter(Boolean).join(" ");
  return (
    <Layout page={p.page} title={t.breakGlassTitle}>
      <h1>{t.breakGlassTitle}</h1>
      <p>{t.breakGlassLead(p.minutes)}</p>
      <form method="post" action={`/clients/${p.clientId}/break-glass`} novalidate>
        <FormAlert errors={e} summary={p.page.t.form.errorSummary} />
        <label for="f-reason">{t.reason}</label>
        <textarea id="f-reason" name="reason" rows={4} maxlength={BREAK_GLASS_REASON_MAX} aria-invalid={e.reason ? "true" : undefined} aria-describedby={describedBy}>
          {p.reason}
        </textarea>
        {e.reason ? <small id="f-reason-error">{e.reason}</small> : null}
        <small id="f-reason-hint">{t.reasonHint(p.minChars)}</small>
        <button type="submit" class="contrast">
          {t.breakGlassSubmit}
        </button>
      </form>
    </Layout>
  );
}

