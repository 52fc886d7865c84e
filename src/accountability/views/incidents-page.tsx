import { dateTimeFormat } from "../../i18n/format.ts";
import { Layout, type PageContext } from "../../views/layout.tsx";
import { incidentDeadlines } from "../deadlines.ts";
import type { IncidentSummary } from "../incidents.ts";
import { DeadlineText } from "./incident-page.tsx";

/** The register: every incident, newest discovery first, with where each deadline stands. */
export function IncidentsPage(p: { page: PageContext; incidents: readonly IncidentSummary[]; timeZone: string }): JSX.Element {
  const { t } = p.page;
  const i = t.accountability.incidents;
  const when = dateTimeFormat(p.page, p.timeZone);
  return (
    <Layout page={p.page} title={i.title}>
      <h1 id="incidents-title">{i.title}</h1>
      <p>{i.lead}</p>
      <p>
        <a href="/admin/accountability/incidents/new" role="button">
          {i.record}
        </a>
      </p>
      {p.incidents.length === 0 ? (
        <p>{i.none}</p>
      ) : (
        <div class="kb-table" tabindex={0} role="region" aria-labelledby="incidents-title">
          <table>
            <thead>
              <tr>
                <th scope="col">{i.what}</th>
                <th scope="col">{i.discovered}</th>
                <th scope="col">{i.count}</th>
                <th scope="col">{i.deadlines}</th>
              </tr>
            </thead>
            <tbody>
              {p.incidents.map((x) => (
                <tr data-testid="incident">
                  <td>
                    <a href={`/admin/accountability/incidents/${x.id}`}>{x.title}</a>
                    <br />
                    <small>{x.closedAt === null ? i.open : i.closed(when.format(x.closedAt))}</small>
                  </td>
                  <td>{when.format(x.discoveredAt)}</td>
                  <td>{x.affectedCount}</td>
                  <td>
                    <ul>
                      {incidentDeadlines(x, p.page.now).map((d) => (
                        <li>
                          {i.kinds[d.kind]}: <DeadlineText page={p.page} status={d.status} timeZone={p.timeZone} />
                        </li>
                      ))}
                    </ul>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </Layout>
  );
}
