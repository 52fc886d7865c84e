// The security alerts page: open alerts first, each said in plain words, with a link to the audit entries behind it.
import type { AlertView } from "../../anomalies/anomalies.ts";
import { RULE_LIMITS } from "../../anomalies/rules.ts";
import { dateTimeFormat } from "../../i18n/format.ts";
import type { Messages } from "../../i18n/messages.ts";
import { ActionButton, Notice } from "../../views/form.tsx";
import { Layout, type PageContext } from "../../views/layout.tsx";

export function AlertsPage(p: { page: PageContext; alerts: { open: readonly AlertView[]; acknowledged: readonly AlertView[] }; timeZone: string; notice?: string }): JSX.Element {
  const t = p.page.t.anomalies;
  const when = dateTimeFormat(p.page, p.timeZone);
  // One card per alert: what happened, when, where to look, and (while open) the button that closes it.
  const item = (a: AlertView) => (
    <article data-rule={a.rule}>
      <p>
        <strong>{describeAlert(p.page.t, a)}</strong>
        <br />
        <small>{t.when(when.format(a.firstAt), when.format(a.lastAt))}</small>
      </p>
      <p>
        <a href={auditLink(a)}>{t.auditLink}</a>
      </p>
      {a.acknowledged ? <p class="kb-muted">{t.acknowledgedBy(a.acknowledged.by, when.format(a.acknowledged.at))}</p> : <ActionButton action={`/admin/alerts/${a.id}/acknowledge`} label={t.acknowledge} variant="secondary" />}
    </article>
  );
  return (
    <Layout page={p.page} title={t.title}>
      <h1>{t.title}</h1>
      {p.notice ? <Notice>{p.notice}</Notice> : null}
      <p>{t.lead}</p>
      <section aria-labelledby="alerts-open">
        <h2 id="alerts-open">{t.open(p.alerts.open.length)}</h2>
        {p.alerts.open.length === 0 ? <p>{t.noneOpen}</p> : p.alerts.open.map(item)}
      </section>
      <section aria-labelledby="alerts-acknowledged">
        <h2 id="alerts-acknowledged">{t.acknowledged}</h2>
        {p.alerts.acknowledged.length === 0 ? <p>{t.noneAcknowledged}</p> : p.alerts.acknowledged.map(item)}
      </section>
    </Layout>
  );
}

/** What happened, in plain words: "Sam Staff opened 25 clients' records within 10 minutes." */
export function describeAlert(m: Messages, a: AlertView): string {
  const t = m.anomalies;
  const who = a.who.kind === "person" ? a.who.name : a.who.kind === "address" ? t.address(a.who.tag) : a.who.kind === "unknown" ? t.someone : t[a.who.kind];
  const minutes = RULE_LIMITS[a.rule].windowMs / 60_000;
  switch (a.rule) {
    case "bulk-record-reads":
    case "signin-failures-account":
    case "signin-failures-address":
      return t.what[a.rule](who, a.count, minutes);
    case "export":
    case "off-hours-admin":
      return t.what[a.rule](who, a.count, a.action ?? "");
    case "break-glass":
      return t.what[a.rule](who, a.count);
  }
}

/**
 * The audit log filtered to the alert: the person's entries (or the sign-in failures) over the alert's days. The
 * audit page filters by whole days in UTC, so the link names the UTC dates of the first and the last entry.
 */
function auditLink(a: AlertView): string {
  const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);
  const q = new URLSearchParams();
  if (a.rule.startsWith("signin-")) q.set("action", "signin.failure");
  else if (a.personId) q.set("actor", a.personId);
  q.set("from", day(a.firstAt));
  q.set("to", day(a.lastAt));
  return `/admin/audit?${q}`;
}
