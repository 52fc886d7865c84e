// The client's booking flow (service → specialist → day → time → confirm), appointments and the working-hours form.
import { raw } from "hono/html";
import { dateTimeFormat, dayFormat, timeFormat } from "../../i18n/format.ts";
import type { Locale, Messages } from "../../i18n/messages.ts";
import { zoneName } from "../../i18n/zones.ts";
import { ActionButton, Field, type FieldErrors, FormAlert, Notice, Select, TextArea, TimeZoneSelect } from "../../views/form.tsx";
import { Layout, type PageContext } from "../../views/layout.tsx";
import type { Appointment } from "../appointments.ts";
import { formatExceptions, formatIntervals, WEEKDAYS } from "../hours.ts";
import { formatPrice, type Service } from "../services.ts";
import type { Availability } from "../slots.ts";

export interface Named {
  id: string;
  name: string;
}

/** A zone as the reader knows it: by its city, in their language. */
export function zoneLabel(zone: string, locale: Locale): string {
  return zoneName(zone, locale);
}

function dayLabel(locale: Locale, day: Temporal.PlainDate): string {
  return dayFormat(locale).format(new Date(Date.UTC(day.year, day.month - 1, day.day, 12)));
}

export function ServiceSummary(p: { t: Messages; locale: Locale; service: Service }): JSX.Element {
  const s = p.t.booking.services;
  const price = formatPrice(p.service, p.locale);
  return (
    <p class="kb-muted">
      {s.minutes(p.service.durationMinutes)} · {p.service.mode === "online" ? s.online : s.inPerson}
      {price ? ` · ${price}` : ""}
    </p>
  );
}

export function ChooseServicePage(p: { page: PageContext; services: readonly Service[] }): JSX.Element {
  const { t, locale } = p.page;
  const b = t.booking.book;
  return (
    <Layout page={p.page} title={b.title}>
      <h1>{b.title}</h1>
      {p.services.length === 0 ? <p>{b.noServices}</p> : <p>{b.chooseService}</p>}
      {p.services.map((svc) => (
        <article>
          <h2>
            <a href={`/book/${svc.id}`}>{svc.name[locale]}</a>
          </h2>
          <ServiceSummary t={t} locale={locale} service={svc} />
          {svc.description[locale] ? <p>{svc.description[locale]}</p> : null}
        </article>
      ))}
    </Layout>
  );
}

export interface SlotChoice {
  start: number;
  specialistId: string;
}

export function ChooseTimePage(p: {
  page: PageContext;
  service: Service;
  specialists: readonly Named[];
  specialist: string;
  day: Temporal.PlainDate;
  days: readonly Temporal.PlainDate[];
  timeZone: string;
  slots: readonly SlotChoice[];
  /** Set when rescheduling: the slots post there instead of starting a new booking. */
  reschedule?: { appointmentId: string };
  message?: string;
  /** No zone chosen yet: the page asks the browser for its zone and reloads in it once. */
  detectZone?: boolean;
}): JSX.Element {
  const { t, locale } = p.page;
  const b = t.booking.book;
  const time = timeFormat(p.page, p.timeZone);
  const base = p.reschedule ? `/appointments/${p.reschedule.appointmentId}/reschedule` : `/book/${p.service.id}`;
  const query = (day: Temporal.PlainDate) => `${base}?${new URLSearchParams({ specialist: p.specialist, day: day.toString(), tz: p.timeZone })}`;
  const title = p.reschedule ? t.booking.appt.rescheduleTitle : p.service.name[locale];
  return (
    <Layout page={p.page} title={title}>
      <p>
        <a href={p.reschedule ? `/appointments/${p.reschedule.appointmentId}` : "/book"}>← {p.reschedule ? t.booking.appt.back : b.title}</a>
      </p>
      <h1>{title}</h1>
      <ServiceSummary t={t} locale={locale} service={p.service} />
      {p.message ? (
        <p role="alert" class="kb-alert">
          {p.message}
        </p>
      ) : null}
      <form method="get" action={base} class="kb-choose">
        {p.reschedule ? null : (
          <Select name="specialist" label={b.specialist} value={p.specialist} options={[["any", b.any], ...p.specialists.map((s) => [s.id, s.name] as const)]} />
        )}
        <TimeZoneSelect name="tz" label={b.timeZone} value={p.timeZone} locale={locale} />
        <input type="hidden" name="day" value={p.day.toString()} />
        <button type="submit" class="secondary">
          {b.show}
        </button>
      </form>
      <nav aria-label={b.day} class="kb-days">
        <ul>
          {p.days.map((d) => (
            <li>
              <a href={query(d)} aria-current={d.equals(p.day) ? "date" : undefined} role="button" class={d.equals(p.day) ? "" : "outline"}>
                {dayLabel(locale, d)}
              </a>
            </li>
          ))}
        </ul>
      </nav>
      {p.detectZone ? (
        <script nonce={p.page.nonce}>
          {raw(
            `(()=>{const z=Intl.DateTimeFormat().resolvedOptions().timeZone;if(z&&z!==${JSON.stringify(p.timeZone)}){const u=new URL(location.href);u.searchParams.set("tz",z);location.replace(u)}})()`,
          )}
        </script>
      ) : null}
      <section aria-labelledby="slots-title">
        <h2 id="slots-title">
          {dayLabel(locale, p.day)} <small class="kb-muted">· {b.zoneNamed(zoneLabel(p.timeZone, locale))}</small>
        </h2>
        {p.slots.length === 0 ? (
          <p>{b.noSlots}</p>
        ) : (
          <ul class="kb-slots">
            {p.slots.map((s) => (
              <li>
                <a
                  role="button"
                  class="outline"
                  href={
                    p.reschedule
                      ? `${base}/confirm?${new URLSearchParams({ start: String(s.start), tz: p.timeZone })}`
                      : `/book/${p.service.id}/confirm?${new URLSearchParams({ start: String(s.start), specialist: s.specialistId, tz: p.timeZone })}`
                  }
                >
                  {time.format(s.start)}
                </a>
              </li>
            ))}
          </ul>
        )}
        {p.days.length ? (
          <p>
            <a href={query(p.days[p.days.length - 1]!.add({ days: 1 }))}>{b.laterDays} →</a>
          </p>
        ) : null}
      </section>
    </Layout>
  );
}

export function ConfirmPage(p: {
  page: PageContext;
  service: Service;
  specialist: Named;
  start: number;
  timeZone: string;
  /** Staff booking for someone: where the client search posts to; null when the viewer books for themself. */
  clientSearch: string | null;
  /** Where an in-person appointment takes place. */
  address?: string | null;
  errors?: FieldErrors;
  values?: Record<string, string>;
  reschedule?: { appointmentId: string };
  notice?: string;
}): JSX.Element {
  const { t, locale } = p.page;
  const b = t.booking.book;
  const when = dateTimeFormat(p.page, p.timeZone);
  const e = p.errors ?? {};
  const v = p.values ?? {};
  const action = p.reschedule ? `/appointments/${p.reschedule.appointmentId}/reschedule` : `/book/${p.service.id}`;
  return (
    <Layout page={p.page} title={b.confirmTitle}>
      <h1>{p.reschedule ? t.booking.appt.rescheduleTitle : b.confirmTitle}</h1>
      {p.notice ? <Notice>{p.notice}</Notice> : null}
      <dl class="kb-facts">
        <dt>{b.service}</dt>
        <dd>{p.service.name[locale]}</dd>
        <dt>{b.with}</dt>
        <dd>{p.specialist.name}</dd>
        <dt>{b.when}</dt>
        <dd>
          <strong>{when.format(p.start)}</strong> <small class="kb-muted">({zoneLabel(p.timeZone, locale)})</small>
        </dd>
        {p.address ? (
          <>
            <dt>{b.where}</dt>
            <dd>{p.address}</dd>
          </>
        ) : null}
      </dl>
      <ServiceSummary t={t} locale={locale} service={p.service} />
      <p class="kb-muted">{b.cancelPolicy(p.service.cancelHours)}</p>
      <form method="post" action={action} novalidate>
        <FormAlert errors={e} summary={t.form.errorSummary} />
        <input type="hidden" name="start" value={String(p.start)} />
        <input type="hidden" name="specialist" value={p.specialist.id} />
        <input type="hidden" name="tz" value={p.timeZone} />
        {p.clientSearch && !p.reschedule ? (
          // Typing asks the server for a few matching clients of the viewer's scope (a POST: no name in any URL), which
          // fill the browser's suggestion list. The client is found by their email when the form is sent.
          <>
            <label for="f-clientEmail">{b.client}</label>
            <input
              id="f-clientEmail"
              name="clientEmail"
              type="email"
              list="client-list"
              value={v.clientEmail}
              autocomplete="off"
              placeholder={b.clientPlaceholder}
              aria-invalid={e.client ? "true" : undefined}
              aria-describedby={e.client ? "f-clientEmail-error" : "f-clientEmail-hint"}
              hx-post={p.clientSearch}
              hx-trigger="input changed delay:300ms"
              hx-target="#client-list"
              hx-swap="outerHTML"
            />
            {e.client ? <small id="f-clientEmail-error">{e.client}</small> : <small id="f-clientEmail-hint">{b.clientHint}</small>}
            <ClientMatches matches={[]} />
          </>
        ) : null}
        {p.reschedule ? null : (
          <details>
            <summary>{b.repeat}</summary>
            <Select name="repeat" label={b.repeatEvery} value={v.repeat ?? "none"} error={e.repeat} options={[["none", b.repeatNone], ["1", b.repeatWeekly], ["2", b.repeatBiweekly]]} />
            <Field name="count" label={b.sessions} value={v.count ?? "6"} error={e.count} inputmode="numeric" hint={b.sessionsHint} />
          </details>
        )}
        <button type="submit">{p.reschedule ? t.booking.appt.reschedule : b.confirm}</button>
      </form>
      {p.clientSearch && !p.reschedule ? (
        // Someone new on the phone: staff add them here; they get an invitation to set a password.
        <details open={Boolean(e.newName || e.newEmail)}>
          <summary>{b.newClient}</summary>
          <form method="post" action={`/book/${p.service.id}/client`} novalidate>
            <input type="hidden" name="start" value={String(p.start)} />
            <input type="hidden" name="specialist" value={p.specialist.id} />
            <input type="hidden" name="tz" value={p.timeZone} />
            <Field name="newName" label={b.newClientName} value={v.newName} error={e.newName} required maxlength={120} autocomplete="off" />
            <Field name="newEmail" type="email" label={b.newClientEmail} value={v.newEmail} error={e.newEmail} required maxlength={254} autocomplete="off" />
            <button type="submit" class="secondary">
              {b.addClient}
            </button>
          </form>
        </details>
      ) : null}
    </Layout>
  );
}

/** The browser's suggestions for the client field: the few clients a search found. */
export function ClientMatches(p: { matches: readonly (Named & { email: string })[] }): JSX.Element {
  return (
    <datalist id="client-list">
      {p.matches.map((m) => (
        <option value={m.email}>{m.name}</option>
      ))}
    </datalist>
  );
}

export interface AppointmentView extends Appointment {
  serviceName: string;
  online: boolean;
  specialistName: string;
  clientName: string;
}

export function statusLabel(t: Messages, a: Appointment, now: number): string {
  if (a.status === "booked" && a.end < now) return t.booking.appt.status.completed;
  return t.booking.appt.status[a.status];
}

export function AppointmentsPage(p: { page: PageContext; upcoming: readonly AppointmentView[]; past: readonly AppointmentView[]; timeZone: string; feedUrl: string | null; notice?: string }): JSX.Element {
  const { t, locale } = p.page;
  const a = t.booking.appt;
  const when = dateTimeFormat(p.page, p.timeZone);
  const row = (x: AppointmentView) => (
    <li>
      <a href={`/appointments/${x.id}`}>{when.format(x.start)}</a> · {x.serviceName} · {x.specialistName} · <span class={`kb-status-${x.status}`}>{statusLabel(t, x, p.page.now)}</span>
    </li>
  );
  return (
    <Layout page={p.page} title={a.title}>
      <h1>{a.title}</h1>
      {p.notice ? <Notice>{p.notice}</Notice> : null}
      <p>
        <a href="/book" role="button">
          {t.booking.book.title}
        </a>
      </p>
      <h2>{a.upcoming}</h2>
      {p.upcoming.length ? <ul>{p.upcoming.map(row)}</ul> : <p>{a.none}</p>}
      {p.past.length ? (
        <>
          <h2>{a.past}</h2>
          <ul>{p.past.map(row)}</ul>
        </>
      ) : null}
      <FeedSection page={p.page} url={p.feedUrl} />
    </Layout>
  );
}

export function FeedSection(p: { page: PageContext; url: string | null }): JSX.Element {
  const f = p.page.t.booking.feed;
  return (
    <section aria-labelledby="feed-title">
      <h2 id="feed-title">{f.title}</h2>
      <p>{f.lead}</p>
      {p.url ? (
        <>
          <p class="kb-link" id="feed-url">
            {p.url}
          </p>
          <ActionButton action="/calendar/feed/revoke" label={f.revoke} variant="secondary" />
          <ActionButton action="/calendar/feed" label={f.renew} variant="secondary" />
        </>
      ) : (
        <ActionButton action="/calendar/feed" label={f.create} />
      )}
    </section>
  );
}

export function AppointmentPage(p: {
  page: PageContext;
  a: AppointmentView;
  timeZone: string;
  viewerIsClient: boolean;
  mayChange: boolean;
  mayMarkNoShow: boolean;
  joinOpen: boolean;
  /** How many later sessions of its series could be cancelled along with it. */
  laterInSeries: number;
  cancelHours: number;
  cancelReason: string | null;
  address?: string | null;
  notice?: string;
  errors?: FieldErrors;
}): JSX.Element {
  const { t, locale } = p.page;
  const a = t.booking.appt;
  const b = t.booking.book;
  const x = p.a;
  const when = dateTimeFormat(p.page, p.timeZone);
  const e = p.errors ?? {};
  return (
    <Layout page={p.page} title={a.one}>
      <p>
        <a href={p.viewerIsClient ? "/appointments" : "/schedule"}>← {p.viewerIsClient ? a.title : t.booking.schedule.title}</a>
      </p>
      <h1>{x.serviceName}</h1>
      {p.notice ? <Notice>{p.notice}</Notice> : null}
      <FormAlert errors={e} summary={t.form.errorSummary} />
      <dl class="kb-facts">
        <dt>{b.when}</dt>
        <dd>
          <strong>{when.format(x.start)}</strong> <small class="kb-muted">({zoneLabel(p.timeZone, locale)})</small>
        </dd>
        <dt>{b.with}</dt>
        <dd>{x.specialistName}</dd>
        {p.address ? (
          <>
            <dt>{b.where}</dt>
            <dd>{p.address}</dd>
          </>
        ) : null}
        {p.viewerIsClient ? null : (
          <>
            <dt>{b.client}</dt>
            <dd>{x.clientName}</dd>
          </>
        )}
        <dt>{a.statusLabel}</dt>
        <dd>{statusLabel(t, x, p.page.now)}</dd>
        {p.cancelReason ? (
          <>
            <dt>{a.reasonLabel}</dt>
            <dd>{p.cancelReason}</dd>
          </>
        ) : null}
      </dl>
      {x.online && x.status === "booked" ? (
        p.joinOpen ? (
          <form method="post" action={`/appointments/${x.id}/join`}>
            <button type="submit">{a.join}</button>
          </form>
        ) : x.end > p.page.now ? (
          <p class="kb-muted">{a.joinOpens}</p>
        ) : null
      ) : null}
      {x.roomId && !p.joinOpen ? (
        <p>
          <a href={`/rooms/${x.roomId}`}>{a.record}</a>
        </p>
      ) : null}
      {x.status === "booked" ? (
        <p>
          <a href={`/appointments/${x.id}/calendar.ics`} download="appointment.ics">
            {a.addToCalendar}
          </a>
        </p>
      ) : null}
      {p.mayChange ? (
        <>
          <p>
            <a href={`/appointments/${x.id}/reschedule`} role="button" class="secondary">
              {a.reschedule}
            </a>
          </p>
          <details open={Boolean(e.reason)}>
            <summary>{a.cancel}</summary>
            <form method="post" action={`/appointments/${x.id}/cancel`} novalidate>
              <TextArea name="reason" label={p.viewerIsClient ? a.reasonOptional : a.reasonRequired} value="" error={e.reason} rows={2} />
              {p.laterInSeries > 0 ? (
                <label>
                  <input type="checkbox" name="series" value="on" />
                  {a.alsoLater(p.laterInSeries)}
                </label>
              ) : null}
              <button type="submit" class="contrast">
                {a.cancelConfirm}
              </button>
            </form>
          </details>
        </>
      ) : x.status === "booked" && x.start > p.page.now && p.viewerIsClient ? (
        <p class="kb-muted">{a.windowClosed(p.cancelHours)}</p>
      ) : null}
      {p.mayMarkNoShow ? <ActionButton action={`/appointments/${x.id}/no-show`} label={a.noShow} variant="secondary" /> : null}
    </Layout>
  );
}

/** The appointment changed under the viewer's hands (cancelled or moved by someone else meanwhile). */
export function AppointmentGone(p: { page: PageContext; id: string }): JSX.Element {
  const { t } = p.page;
  return (
    <Layout page={p.page} title={t.booking.appt.one}>
      <p role="alert" class="kb-alert">
        {t.booking.appt.cannotChange}
      </p>
      <a href={`/appointments/${p.id}`} role="button">
        {t.booking.appt.back}
      </a>
    </Layout>
  );
}

export function HoursPage(p: {
  page: PageContext;
  whose: Named;
  specialists: readonly Named[] | null;
  availability: Availability;
  values?: Record<string, string>;
  errors?: FieldErrors;
  notice?: string;
}): JSX.Element {
  const { t } = p.page;
  const h = t.booking.hours;
  const av = p.availability;
  const e = p.errors ?? {};
  const v = (name: string, fallback: string) => p.values?.[name] ?? fallback;
  const action = p.specialists ? `/hours?specialist=${encodeURIComponent(p.whose.id)}` : "/hours";
  return (
    <Layout page={p.page} title={h.title}>
      <h1>{h.title}</h1>
      {p.specialists ? (
        <form method="get" action="/hours" class="kb-choose">
          <Select name="specialist" label={h.whose} value={p.whose.id} options={p.specialists.map((s) => [s.id, s.name] as const)} />
          <button type="submit" class="secondary">
            {t.booking.book.show}
          </button>
        </form>
      ) : null}
      {p.notice ? <Notice>{p.notice}</Notice> : null}
      <p>{h.lead}</p>
      <form method="post" action={action} novalidate>
        <FormAlert errors={e} summary={t.form.errorSummary} />
        <TimeZoneSelect name="timeZone" label={t.booking.book.timeZone} value={v("timeZone", av.timeZone)} locale={p.page.locale} error={e.timeZone} />
        {WEEKDAYS.map((d) => (
          <Field name={`day${d}`} label={h.weekdays[d - 1]!} value={v(`day${d}`, formatIntervals(av.weekly[d]))} error={e[`day${d}`]} hint={d === 1 ? h.dayHint : undefined} maxlength={200} />
        ))}
        <TextArea name="exceptions" label={h.exceptions} value={v("exceptions", formatExceptions(av.exceptions))} error={e.exceptions} hint={h.exceptionsHint} rows={4} />
        <div class="grid">
          <div>
            <Field name="noticeHours" label={h.notice} value={v("noticeHours", String(av.minNoticeMinutes / 60))} error={e.noticeHours} inputmode="numeric" />
          </div>
          <div>
            <Field name="horizonDays" label={h.horizon} value={v("horizonDays", String(av.horizonDays))} error={e.horizonDays} inputmode="numeric" />
          </div>
        </div>
        <button type="submit">{h.save}</button>
      </form>
    </Layout>
  );
}
