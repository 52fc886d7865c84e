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

/** The query a booking page's links carry on: the client staff book for, chosen first (an id, never a name). */
function forQuery(forClient: Named | null | undefined): Record<string, string> {
  return forClient ? { for: forClient.id } : {};
}

/** Whom staff are booking for, with the way back to choose someone else. */
function BookingFor(p: { t: Messages; forClient: Named | null | undefined }): JSX.Element | null {
  if (!p.forClient) return null;
  const b = p.t.booking.book;
  return (
    <p class="kb-muted">
      {b.bookingFor} <strong>{p.forClient.name}</strong> · <a href="/book/client">{b.otherClient}</a>
    </p>
  );
}

export function ChooseServicePage(p: { page: PageContext; services: readonly Service[]; forClient?: Named | null; notice?: string }): JSX.Element {
  const { t, locale } = p.page;
  const b = t.booking.book;
  const query = new URLSearchParams(forQuery(p.forClient)).toString();
  return (
    <Layout page={p.page} title={b.title}>
      <h1>{b.title}</h1>
      {p.notice ? <Notice>{p.notice}</Notice> : null}
      <BookingFor t={t} forClient={p.forClient} />
      {p.services.length === 0 ? <p>{b.noServices}</p> : <p>{b.chooseService}</p>}
      {p.services.map((svc) => (
        <article>
          <h2>
            <a href={`/book/${svc.id}${query ? `?${query}` : ""}`}>{svc.name[locale]}</a>
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

/** When rescheduling, the appointment's present time, shown next to the new choice. */
function CurrentTime(p: { page: PageContext; timeZone: string; start: number | undefined }): JSX.Element | null {
  if (p.start === undefined) return null;
  return (
    <p class="kb-current">
      {p.page.t.booking.book.currently(dateTimeFormat(p.page, p.timeZone).format(p.start), zoneName(p.timeZone, p.page.locale))}
    </p>
  );
}

export function ChooseTimePage(p: {
  page: PageContext;
  service: Service;
  specialists: readonly Named[];
  specialist: string;
  day: Temporal.PlainDate;
  /** The week's days from today on, and whether each has a free time. */
  days: readonly { date: Temporal.PlainDate; free: boolean }[];
  /** The chosen day is empty: the next day with free times, if one is near. */
  nextFree?: Temporal.PlainDate | null;
  timeZone: string;
  slots: readonly SlotChoice[];
  /** Set when rescheduling: the slots post there instead of starting a new booking. */
  reschedule?: { appointmentId: string; currentStart?: number };
  /** Staff booking for a client chosen first. */
  forClient?: Named | null;
  message?: string;
  /** No zone chosen yet: the page asks the browser for its zone and reloads in it once. */
  detectZone?: boolean;
}): JSX.Element {
  const { t, locale } = p.page;
  const b = t.booking.book;
  const time = timeFormat(p.page, p.timeZone);
  const base = p.reschedule ? `/appointments/${p.reschedule.appointmentId}/reschedule` : `/book/${p.service.id}`;
  const query = (day: Temporal.PlainDate) => `${base}?${new URLSearchParams({ specialist: p.specialist, day: day.toString(), tz: p.timeZone, ...forQuery(p.forClient) })}`;
  const title = p.reschedule ? t.booking.appt.rescheduleTitle : p.service.name[locale];
  return (
    <Layout page={p.page} title={title}>
      <p>
        <a href={p.reschedule ? `/appointments/${p.reschedule.appointmentId}` : p.forClient ? `/book?${new URLSearchParams(forQuery(p.forClient))}` : "/book"}>
          ← {p.reschedule ? t.booking.appt.back : b.title}
        </a>
      </p>
      <h1>{title}</h1>
      <ServiceSummary t={t} locale={locale} service={p.service} />
      <CurrentTime page={p.page} timeZone={p.timeZone} start={p.reschedule?.currentStart} />
      <BookingFor t={t} forClient={p.forClient} />
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
        {p.forClient ? <input type="hidden" name="for" value={p.forClient.id} /> : null}
        <button type="submit" class="secondary">
          {b.show}
        </button>
      </form>
      <nav aria-label={b.day} class="kb-days">
        <ul>
          {p.days.map(({ date: d, free }) => (
            <li>
              {free ? (
                <a href={query(d)} aria-current={d.equals(p.day) ? "date" : undefined} role="button" class={d.equals(p.day) ? "" : "outline"}>
                  {dayLabel(locale, d)}
                </a>
              ) : (
                // A day without free times stays in the strip, visibly off: a disabled button is skipped by the
                // keyboard and read out with its reason ("No free times") and as unavailable.
                <button type="button" class="outline secondary kb-day-empty" disabled aria-current={d.equals(p.day) ? "date" : undefined}>
                  {dayLabel(locale, d)} <small>{b.noFreeTimes}</small>
                </button>
              )}
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
          {dayLabel(locale, p.day)} <small class="kb-muted">· {b.zoneNamed(zoneName(p.timeZone, locale))}</small>
        </h2>
        {p.slots.length === 0 ? (
          <>
            <p>{b.noSlots}</p>
            {p.nextFree ? (
              <p>
                <a href={query(p.nextFree)} role="button">
                  {b.nextFree(dayLabel(locale, p.nextFree))}
                </a>
              </p>
            ) : (
              <p class="kb-muted">{b.nothingSoon}</p>
            )}
          </>
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
                      : `/book/${p.service.id}/confirm?${new URLSearchParams({ start: String(s.start), specialist: s.specialistId, tz: p.timeZone, ...forQuery(p.forClient) })}`
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
            <a href={query(p.days[p.days.length - 1]!.date.add({ days: 1 }))}>{b.laterDays} →</a>
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
  reschedule?: { appointmentId: string; currentStart?: number };
  /** Staff booking for a client chosen first: no search field, the client is set. */
  forClient?: Named | null;
  /** A visitor without a session: instead of the form, the way to an account that comes back to this time. */
  signIn?: { returnPath: string; canRegister: boolean };
  /** The service is paid when booking (src/payments): the price, the provider and how long the time is reserved. */
  paysNow?: { price: string; provider: "stripe" | "yookassa"; holdMinutes: number } | null;
  notice?: string;
}): JSX.Element {
  const { t, locale } = p.page;
  const b = t.booking.book;
  const when = dateTimeFormat(p.page, p.timeZone);
  const e = p.errors ?? {};
  const v = p.values ?? {};
  const action = p.reschedule ? `/appointments/${p.reschedule.appointmentId}/reschedule` : `/book/${p.service.id}`;
  const clientSearch = p.forClient ? null : p.clientSearch;
  return (
    <Layout page={p.page} title={b.confirmTitle}>
      <h1>{p.reschedule ? t.booking.appt.rescheduleTitle : b.confirmTitle}</h1>
      {p.notice ? <Notice>{p.notice}</Notice> : null}
      <CurrentTime page={p.page} timeZone={p.timeZone} start={p.reschedule?.currentStart} />
      <BookingFor t={t} forClient={p.forClient} />
      <dl class="kb-facts">
        <dt>{b.service}</dt>
        <dd>{p.service.name[locale]}</dd>
        <dt>{b.with}</dt>
        <dd>{p.specialist.name}</dd>
        <dt>{b.when}</dt>
        <dd>
          <strong>{when.format(p.start)}</strong> <small class="kb-muted">({zoneName(p.timeZone, locale)})</small>
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
      {p.paysNow && !p.reschedule ? <p>{t.payments.paysNow(p.paysNow.price, t.payments.providerName[p.paysNow.provider], p.paysNow.holdMinutes)}</p> : null}
      {p.signIn ? (
        <SignInToBook t={t} {...p.signIn} />
      ) : (
        <form method="post" action={action} novalidate>
          <FormAlert errors={e} summary={t.form.errorSummary} />
          <input type="hidden" name="start" value={String(p.start)} />
          <input type="hidden" name="specialist" value={p.specialist.id} />
          <input type="hidden" name="tz" value={p.timeZone} />
          {p.forClient ? <input type="hidden" name="for" value={p.forClient.id} /> : null}
          {clientSearch && !p.reschedule ? <ClientField t={t} search={clientSearch} value={v.clientEmail} error={e.client} /> : null}
          {p.reschedule ? null : (
            <details>
              <summary>{b.repeat}</summary>
              <Select name="repeat" label={b.repeatEvery} value={v.repeat ?? "none"} error={e.repeat} options={[["none", b.repeatNone], ["1", b.repeatWeekly], ["2", b.repeatBiweekly]]} />
              <Field name="count" label={b.sessions} value={v.count ?? "6"} error={e.count} inputmode="numeric" hint={b.sessionsHint} />
            </details>
          )}
          <button type="submit">{p.reschedule ? t.booking.appt.reschedule : b.confirm}</button>
        </form>
      )}
      {clientSearch && !p.reschedule ? (
        <NewClientForm t={t} action={`/book/${p.service.id}/client`} errors={e} values={v}>
          <input type="hidden" name="start" value={String(p.start)} />
          <input type="hidden" name="specialist" value={p.specialist.id} />
          <input type="hidden" name="tz" value={p.timeZone} />
        </NewClientForm>
      ) : null}
    </Layout>
  );
}

/**
 * What a visitor without an account sees instead of the booking form. Both ways come back to this confirmation (the
 * return path is remembered by the route, and carried as `return` for the pages that read it), where one click books.
 */
function SignInToBook(p: { t: Messages; returnPath: string; canRegister: boolean }): JSX.Element {
  const b = p.t.booking.book;
  const back = new URLSearchParams({ return: p.returnPath }).toString();
  return (
    <section aria-labelledby="account-title" class="kb-sign-in-to-book">
      <h2 id="account-title">{p.canRegister ? b.accountNeeded : b.signInNeeded}</h2>
      <p>{b.comeBack}</p>
      <p class="grid">
        {p.canRegister ? (
          <a href={`/register?${back}`} role="button">
            {b.createAccount}
          </a>
        ) : null}
        <a href={`/signin?${back}`} role="button" class={p.canRegister ? "secondary" : undefined}>
          {b.signIn}
        </a>
      </p>
    </section>
  );
}

/**
 * The client field of a booking made by staff. Typing asks the server for a few matching clients of the viewer's
 * scope (a POST: no name in any URL), which fill the browser's suggestion list; the client is found by their email
 * when the form is sent. A newer search cancels one still under way (hx-sync replace), and its answer fills the same
 * list (innerHTML): the list always shows what was typed last, however slow an earlier answer. (Replacing the list
 * itself left a search asked meanwhile aiming at the replaced one: its answer was dropped.)
 */
function ClientField(p: { t: Messages; search: string; value?: string; error?: string }): JSX.Element {
  const b = p.t.booking.book;
  return (
    <>
      <label for="f-clientEmail">{b.client}</label>
      <input
        id="f-clientEmail"
        name="clientEmail"
        type="email"
        list="client-list"
        value={p.value}
        autocomplete="off"
        placeholder={b.clientPlaceholder}
        aria-invalid={p.error ? "true" : undefined}
        aria-describedby={p.error ? "f-clientEmail-error" : "f-clientEmail-hint"}
        hx-post={p.search}
        hx-trigger="input changed delay:300ms"
        hx-sync="replace"
        hx-target="#client-list"
        hx-swap="innerHTML"
      />
      {p.error ? <small id="f-clientEmail-error">{p.error}</small> : <small id="f-clientEmail-hint">{b.clientHint}</small>}
      <datalist id="client-list" />
    </>
  );
}

/** Someone new on the phone: staff add them; they get an invitation to set a password. */
function NewClientForm(p: { t: Messages; action: string; errors: FieldErrors; values: Record<string, string>; children?: unknown }): JSX.Element {
  const b = p.t.booking.book;
  const e = p.errors;
  return (
    <details open={Boolean(e.newName || e.newEmail)}>
      <summary>{b.newClient}</summary>
      <form method="post" action={p.action} novalidate>
        {p.children}
        <Field name="newName" label={b.newClientName} value={p.values.newName} error={e.newName} required maxlength={120} autocomplete="off" />
        <Field name="newEmail" type="email" label={b.newClientEmail} value={p.values.newEmail} error={e.newEmail} required maxlength={254} autocomplete="off" />
        <button type="submit" class="secondary">
          {b.addClient}
        </button>
      </form>
    </details>
  );
}

/** Staff booking for someone start here: find the client (or add them), then choose the service and time for them. */
export function ChooseClientPage(p: { page: PageContext; search: string; errors?: FieldErrors; values?: Record<string, string>; notice?: string }): JSX.Element {
  const { t } = p.page;
  const b = t.booking.book;
  const e = p.errors ?? {};
  const v = p.values ?? {};
  return (
    <Layout page={p.page} title={b.chooseClientTitle}>
      <h1>{b.chooseClientTitle}</h1>
      {p.notice ? <Notice>{p.notice}</Notice> : null}
      <p>{b.chooseClientLead}</p>
      <form method="post" action="/book/client" novalidate>
        <FormAlert errors={e} summary={t.form.errorSummary} />
        <ClientField t={t} search={p.search} value={v.clientEmail} error={e.client} />
        <button type="submit">{b.next}</button>
      </form>
      <NewClientForm t={t} action="/book/client/new" errors={e} values={v} />
    </Layout>
  );
}

/** The browser's suggestions for the client field (the options of its list): the few clients a search found. */
export function ClientMatches(p: { matches: readonly (Named & { email: string })[] }): JSX.Element {
  return (
    <>
      {p.matches.map((m) => (
        <option value={m.email}>{m.name}</option>
      ))}
    </>
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
