import { Layout, type PageContext } from "./layout.tsx";

export function ErrorPage(props: { page: PageContext; title: string; text: string; requestId?: string }): JSX.Element {
  const { t } = props.page;
  return (
    <Layout page={props.page} title={props.title}>
      <article>
        <h1>{props.title}</h1>
        <p>{props.text}</p>
        {props.requestId ? (
          <p class="kb-muted">
            {t.errors.requestId}: <span class="kb-ref">{props.requestId}</span>
          </p>
        ) : null}
        <a href="/" role="button">
          {t.errors.home}
        </a>
      </article>
    </Layout>
  );
}
