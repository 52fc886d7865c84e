import { dateTimeFormat } from "../../i18n/format.ts";
import type { Role } from "../../roles.ts";
import { Layout, type PageContext } from "../../views/layout.tsx";

export interface UpcomingItem {
  id: string;
  start: number;
  title: string;
  withName: string;
}

/** The start page: what is next for this person, and where to go. */
export function HomePage(props: { page: PageContext; name: string; role: Role; upcoming: readonly UpcomingItem[]; timeZone: string; openAlerts?: number; openRequests?: number }): JSX.Element {
  const { t, locale } = props.page;
  const when = dateTimeFormat(props.page, props.timeZone);
  const client = props.role === "client";
  return (
    <Layout page={props.page} title={t.nav.home}>
      <hgroup>
        <h1>{t.dashboard.hello(props.name)}</h1>
        <p>{t.app.tagline}</p>
      </hgroup>
      {props.openAlerts ? (
        <p class="kb-alert" data-testid="open-alerts">
          <a href="/admin/alerts">{t.anomalies.homeOpen(props.openAlerts)}</a>
        </p>
      ) : null}
      {props.openRequests ? (
        <p class="kb-alert" data-testid="open-privacy-requests">
          <a href="/admin/privacy/requests">{t.dataRights.queue.homeOpen(props.openRequests)}</a>
        </p>
      ) : null}
      <section aria-labelledby="next-title">
        <h2 id="next-title">{client ? t.dashboard.yourNext : t.dashboard.today}</h2>
        {props.upcoming.length === 0 ? (
          <p>{client ? t.dashboard.nothingBooked : t.dashboard.nothingToday}</p>
        ) : (
          <ul>
            {props.upcoming.map((a) => (
              <li>
                <a href={`/appointments/${a.id}`}>{when.format(a.start)}</a> · {a.title} · {a.withName}
              </li>
            ))}
          </ul>
        )}
        <p>
          <a href={client ? "/book" : "/schedule"} role="button">
            {client ? t.booking.book.title : t.booking.schedule.title}
          </a>
          {client ? null : (
            <>
              {" "}
              <a href="/book/client" role="button" class="secondary">
                {t.booking.book.bookFor}
              </a>
            </>
          )}
        </p>
      </section>
      <p class="kb-muted">{t.home.lead}</p>
    </Layout>
  );
}
