// The specialist's day and week: appointments with client, service, status, who is waiting, and the join button.
// Admins and staff see every specialist's schedule. The list refreshes itself every 20 seconds (htmx), so a client
// arriving in the waiting room shows up without a reload.
import { ActionButton, Notice, Select } from "../../views/form.tsx";
import { Layout, type PageContext } from "../../views/layout.tsx";
import { dayFormat, timeFormat } from "../../i18n/format.ts";
import { type AppointmentView, FeedSection, type Named, statusLabel } from "./booking-pages.tsx";
import { zoneName } from "../../i18n/zones.ts";

export interface ScheduleEntry extends AppointmentView {
  waiting: boolean;
  joinOpen: boolean;
  mine: boolean;
}

export function SchedulePage(p: {
  page: PageContext;
  view: "day" | "week";
  date: Temporal.PlainDate;
  specialist: string;
  specialists: readonly Named[] | null;
  timeZone: string;
  days: readonly { date: Temporal.PlainDate; entries: readonly ScheduleEntry[] }[];
  /** A specialist's own calendar feed. */
  feed: { url: string | null } | null;
  notice?: string;
}): JSX.Element {
  const { t, locale } = p.page;
  const s = t.booking.schedule;
  const time = timeFormat(p.page, p.timeZone);
  const link = (o: { view?: string; date?: Temporal.PlainDate }) =>
    `/schedule?${new URLSearchParams({ view: o.view ?? p.view, date: (o.date ?? p.date).toString(), ...(p.specialists ? { specialist: p.specialist } : {}) })}`;
  const step = p.view === "day" ? { days: 1 } : { weeks: 1 };
  const today = Temporal.Instant.fromEpochMilliseconds(p.page.now).toZonedDateTimeISO(p.timeZone).toPlainDate();
  const self = link({});
  return (
    <Layout page={p.page} title={s.title}>
      <h1>{s.title}</h1>
      <p>
        <a href="/book/client" role="button" class="secondary">
          {t.booking.book.bookFor}
        </a>
      </p>
      {p.notice ? <Notice>{p.notice}</Notice> : null}
      <nav aria-label={s.title} class="kb-days">
        <ul>
          <li>
            <a href={link({ date: p.date.subtract(step) })} role="button" class="outline" aria-label={s.prev}>
              ←
            </a>
          </li>
          <li>
            <a href={link({ date: today })} role="button" class="outline">
              {s.today}
            </a>
          </li>
          <li>
            <a href={link({ date: p.date.add(step) })} role="button" class="outline" aria-label={s.next}>
              →
            </a>
          </li>
          <li>
            <a href={link({ view: "day" })} role="button" class={p.view === "day" ? "" : "outline"} aria-current={p.view === "day" ? "page" : undefined}>
              {s.day}
            </a>
          </li>
          <li>
            <a href={link({ view: "week" })} role="button" class={p.view === "week" ? "" : "outline"} aria-current={p.view === "week" ? "page" : undefined}>
              {s.week}
            </a>
          </li>
        </ul>
      </nav>
      {p.specialists ? (
        <form method="get" action="/schedule" class="kb-choose">
          <input type="hidden" name="view" value={p.view} />
          <input type="hidden" name="date" value={p.date.toString()} />
          <Select name="specialist" label={s.specialist} value={p.specialist} options={[["all", s.allSpecialists], ...p.specialists.map((x) => [x.id, x.name] as const)]} />
          <button type="submit" class="secondary">
            {t.booking.book.show}
          </button>
        </form>
      ) : null}
      <p class="kb-muted">{t.booking.book.zoneNamed(zoneName(p.timeZone, locale))}</p>
      <div id="schedule" hx-get={self} hx-trigger="every 20s" hx-select="#schedule" hx-swap="outerHTML">
        {p.days.map((d) => (
          <section>
            <h2>{dayFormat(locale).format(new Date(Date.UTC(d.date.year, d.date.month - 1, d.date.day, 12)))}</h2>
            {d.entries.length === 0 ? (
              <p class="kb-muted">{s.empty}</p>
            ) : (
              <ul class="kb-schedule">
                {d.entries.map((e) => (
                  <li class={`kb-status-${e.status}`}>
                    <strong>
                      {time.format(e.start)}–{time.format(e.end)}
                    </strong>{" "}
                    <a href={`/appointments/${e.id}`}>{e.clientName}</a> · {e.serviceName}
                    {p.specialists ? ` · ${e.specialistName}` : ""} · {statusLabel(t, e, p.page.now)}
                    {e.waiting ? <mark class="kb-waiting-badge"> {s.waitingNow}</mark> : null}
                    {e.mine && e.waiting && e.roomId ? <ActionButton action={`/rooms/${e.roomId}/admit/${e.clientId}`} label={s.admit} /> : null}
                    {e.mine && e.joinOpen && e.online ? <ActionButton action={`/appointments/${e.id}/join`} label={t.booking.appt.join} variant={e.waiting ? "secondary" : undefined} /> : null}
                    {e.mine && e.roomId && !e.joinOpen ? (
                      <a href={`/rooms/${e.roomId}`} class="kb-muted">
                        {" "}
                        {s.record}
                      </a>
                    ) : null}
                  </li>
                ))}
              </ul>
            )}
          </section>
        ))}
      </div>
      {p.feed ? <FeedSection page={p.page} url={p.feed.url} /> : null}
    </Layout>
  );
}
