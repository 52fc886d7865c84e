import { Layout, type PageContext } from "../../views/layout.tsx";
import type { ProcessingDocument } from "../processing-document.ts";

/** The record of processing activities, one section per activity, as an authority reads it. */
export function ProcessingPage(p: { page: PageContext; doc: ProcessingDocument; generated: string }): JSX.Element {
  const words = p.page.t.accountability.processing;
  const { doc } = p;
  return (
    <Layout page={p.page} title={doc.title}>
      <h1>{doc.title}</h1>
      <p>{doc.lead}</p>
      <p class="kb-muted">
        {words.generated(p.generated)}{" "}
        <a href="/admin/accountability/processing/record.md" download>
          {words.markdown}
        </a>
      </p>
      <section aria-labelledby="controller-title">
        <h2 id="controller-title">{words.controller}</h2>
        <dl class="kb-facts">
          <Facts facts={doc.controller} />
          <dt>{words.contacts}</dt>
          <dd>
            <ul data-testid="contacts">
              {doc.contacts.map((c) => (
                <li>{c}</li>
              ))}
            </ul>
          </dd>
        </dl>
      </section>
      {doc.activities.map((a, n) => (
        <section aria-labelledby={`activity-${n}`} data-testid="activity">
          <h2 id={`activity-${n}`}>{a.name}</h2>
          <dl class="kb-facts">
            <Facts facts={[...a.facts, [words.recipientsLabel, doc.recipients], [words.transfersLabel, doc.transfers]]} />
          </dl>
        </section>
      ))}
      <section aria-labelledby="security-title">
        <h2 id="security-title">{words.securityLabel}</h2>
        <ul>
          {doc.security.map((s) => (
            <li>{s}</li>
          ))}
        </ul>
      </section>
      <section aria-labelledby="none-title">
        <h2 id="none-title">{words.noPersonalData}</h2>
        <ul>
          {doc.withoutPersonalData.map(([table, why]) => (
            <li>
              <code>{table}</code>: {why}
            </li>
          ))}
        </ul>
      </section>
    </Layout>
  );
}

function Facts(p: { facts: readonly (readonly [string, string])[] }): JSX.Element {
  return (
    <>
      {p.facts.map(([label, value]) => (
        <>
          <dt>{label}</dt>
          <dd>{value}</dd>
        </>
      ))}
    </>
  );
}
