import { Layout, type PageContext } from "../../views/layout.tsx";

export function HomePage(props: { page: PageContext }): JSX.Element {
  const { t } = props.page;
  return (
    <Layout page={props.page} title={t.home.title}>
      <hgroup>
        <h1>{t.home.title}</h1>
        <p>{t.app.tagline}</p>
      </hgroup>
      <p>{t.home.lead}</p>
      <article aria-labelledby="status-title">
        <h2 id="status-title">{t.home.statusTitle}</h2>
        <ul class="kb-status">
          <li>
            <span>{t.home.database}</span> <span class="kb-ok">{t.home.ok}</span>
          </li>
          <li>
            <span>{t.home.encryption}</span> <span class="kb-ok">{t.home.ok}</span>
          </li>
        </ul>
        <p class="kb-muted">{t.home.next}</p>
      </article>
    </Layout>
  );
}
