import { Layout, type PageContext } from "../../views/layout.tsx";

/** The accountability reports' start page: the three questions a data protection officer is asked. */
export function AccountabilityPage(p: { page: PageContext }): JSX.Element {
  const t = p.page.t.accountability;
  return (
    <Layout page={p.page} title={t.title}>
      <h1>{t.title}</h1>
      <p>{t.lead}</p>
      <ul>
        <li>
          <a href="/admin/accountability/reads">{t.readsLink}</a>
        </li>
        <li>
          <a href="/admin/accountability/processing">{t.processingLink}</a>
        </li>
        <li>
          <a href="/admin/accountability/incidents">{t.incidentsLink}</a>
        </li>
      </ul>
    </Layout>
  );
}
