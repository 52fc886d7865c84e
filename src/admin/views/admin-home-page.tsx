import type { Messages } from "../../i18n/messages.ts";
import { Layout, type PageContext } from "../../views/layout.tsx";

/** The admin pages in the groups an administrator looks for them by. */
export function adminGroups(t: Messages, counts: { openAlerts: number; openRequests: number; grantsToReview: number }): { title: string; links: [string, string][] }[] {
  const n = t.nav;
  const g = t.adminHome.groups;
  const counted = (label: string, count: number) => (count > 0 ? `${label} (${count})` : label);
  return [
    {
      title: g.clients,
      links: [
        ["/clients", t.care.nav],
        ["/admin/privacy/requests", counted(t.dataRights.queue.nav, counts.openRequests)],
        ["/admin/consent", n.consent],
        ["/admin/retention", t.retention.nav],
        ["/admin/break-glass", counted(t.care.reviewTitle, counts.grantsToReview)],
        ["/admin/supervisions", t.care.supTitle],
        ["/admin/accountability", t.accountability.nav],
      ],
    },
    {
      title: g.organisation,
      links: [
        ["/admin/people", n.people],
        ["/admin/imports", t.imports.nav],
        ["/admin/services", n.services],
        ["/admin/settings", n.settings],
        ["/admin/media", n.media],
        ["/admin/api-tokens", t.apiTokens.nav],
        ["/admin/webhooks", t.webhooks.nav],
      ],
    },
    {
      title: g.operations,
      links: [
        ["/admin/alerts", counted(n.alerts, counts.openAlerts)],
        ["/admin/audit", n.audit],
        ["/admin/mail", n.mail],
        ["/admin/backups", t.backups.nav],
      ],
    },
  ];
}

export function AdminHomePage(p: { page: PageContext; openAlerts: number; openRequests: number; grantsToReview: number }): JSX.Element {
  const { t } = p.page;
  return (
    <Layout page={p.page} title={t.adminHome.title}>
      <h1>{t.adminHome.title}</h1>
      {adminGroups(t, p).map((group, i) => (
        <section aria-labelledby={`admin-group-${i}`}>
          <h2 id={`admin-group-${i}`}>{group.title}</h2>
          <ul class="kb-admin-links">
            {group.links.map(([href, label]) => (
              <li>
                <a href={href}>{label}</a>
              </li>
            ))}
          </ul>
        </section>
      ))}
    </Layout>
  );
}
