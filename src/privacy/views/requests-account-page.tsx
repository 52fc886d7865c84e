import { FormAlert, type FieldErrors, Notice, Select, TextArea } from "../../views/form.tsx";
import { Layout, type PageContext } from "../../views/layout.tsx";
import type { PrivacyRequest, RequestKind } from "../requests.ts";
import { REQUEST_KINDS } from "../requests.ts";
import { formatDay, formatDueDay } from "./requests-dates.ts";

/** A client's own privacy page: download their data, ask something about it, and see their requests. */
export function AccountPrivacyPage(p: {
  page: PageContext;
  timeZone: string;
  requests: readonly PrivacyRequest[];
  filed?: PrivacyRequest;
  form?: { kind?: string; note?: string };
  errors?: FieldErrors;
}): JSX.Element {
  const { t, locale } = p.page;
  const d = t.dataRights;
  const due = (ms: number) => formatDueDay(locale, p.timeZone, ms);
  return (
    <Layout page={p.page} title={d.account.title}>
      <p>
        <a href="/account">← {t.nav.account}</a>
      </p>
      <h1>{d.account.title}</h1>
      {p.filed ? <Notice>{d.account.filed(due(p.filed.dueAt))}</Notice> : null}
      <section aria-labelledby="download-title">
        <h2 id="download-title">{d.account.downloadTitle}</h2>
        <p>{d.account.downloadLead}</p>
        <form method="post" action="/account/privacy/export">
          <button type="submit">{d.account.download}</button>
        </form>
      </section>
      <section aria-labelledby="request-title">
        <h2 id="request-title">{d.account.requestTitle}</h2>
        <p>{d.account.requestLead}</p>
        <FormAlert errors={p.errors} summary={t.form.errorSummary} />
        <form method="post" action="/account/privacy/requests" novalidate>
          <Select name="kind" label={d.account.kindLabel} value={p.form?.kind ?? "rectification"} error={p.errors?.kind} options={REQUEST_KINDS.map((k) => [k, d.kinds[k]] as const)} />
          <TextArea name="note" label={d.account.noteLabel} value={p.form?.note ?? ""} error={p.errors?.note} />
          <button type="submit" class="secondary">
            {d.account.submit}
          </button>
        </form>
      </section>
      <section aria-labelledby="yours-title">
        <h2 id="yours-title">{d.account.yoursTitle}</h2>
        {p.requests.length === 0 ? (
          <p>{d.account.none}</p>
        ) : (
          <ul>
            {p.requests.map((r) => (
              <li data-request={r.id}>
                {formatDay(locale, p.timeZone, r.receivedAt)} · {d.kinds[r.kind as RequestKind]} · {d.status[r.status]}
                {r.status === "open" ? <> · {d.account.due(due(r.dueAt))}{r.extendedFrom !== null ? ` (${d.queue.extendedMark})` : ""}</> : r.outcome ? <> · {r.outcome}</> : null}
              </li>
            ))}
          </ul>
        )}
      </section>
    </Layout>
  );
}
