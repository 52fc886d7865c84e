import { Layout, type PageContext } from "../../views/layout.tsx";

export function HomePage(props: { page: PageContext; name: string }): JSX.Element {
  const { t } = props.page;
  return (
    <Layout page={props.page} title={t.nav.home}>
      <hgroup>
        <h1>{t.dashboard.hello(props.name)}</h1>
        <p>{t.app.tagline}</p>
      </hgroup>
      <p>{t.home.lead}</p>
      <p class="kb-muted">{t.dashboard.lead}</p>
    </Layout>
  );
}
