import { raw } from "hono/html";
import type { Child } from "hono/jsx";
import { assetUrl } from "../http/assets.ts";
import type { OrgIdentity } from "../http/env.ts";
import { hourCycleOf, type TimeReader } from "../i18n/format.ts";
import { LOCALES, type Locale, type Messages } from "../i18n/messages.ts";
import type { Role } from "../roles.ts";

/** A page's reader is also a time reader: `dateTimeFormat(page, zone)` writes times on the viewer's clock. */
export interface PageContext extends TimeReader {
  t: Messages;
  /** The instant of the request (the installation's clock), for anything that says "past" or "upcoming". */
  now: number;
  locale: Locale;
  nonce: string;
  /** The path to come back to after switching language. */
  path: string;
  /** The signed-in person, for the navigation; null when signed out or half-way through sign-in. */
  viewer: { name: string; role: Role } | null;
  /** Whose appliance this is: named in the header and every title, so a page never looks like someone else's. */
  org: OrgIdentity;
}

export function Layout(props: { page: PageContext; title: string; children: Child }): JSX.Element {
  const { t, locale, nonce, path, viewer, org } = props.page;
  const other: Locale = locale === "en" ? "ru" : "en";
  return (
    <>
      {raw("<!DOCTYPE html>")}
      <html lang={locale}>
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="color-scheme" content="light dark" />
        <meta name="referrer" content="same-origin" />
        <title>{props.title.includes(org.name) ? props.title : `${props.title} — ${org.name}`}</title>
        <link rel="icon" href={assetUrl("favicon.svg")} type="image/svg+xml" />
        <link rel="stylesheet" href={assetUrl("pico.min.css")} />
        <link rel="stylesheet" href={assetUrl("app.css")} />
        <script nonce={nonce} src={assetUrl("htmx.min.js")} defer></script>
      </head>
      {/* The viewer's clock, for times the browser writes itself (e.g. the call's chat). */}
      <body data-hour-cycle={hourCycleOf(props.page)}>
        <a href="#main" class="kb-skip">
          {t.nav.skip}
        </a>
        <header class="container">
          <nav>
            <ul>
              <li>
                <a href="/" class="kb-brand">
                  {org.logoUrl ? <img src={org.logoUrl} alt="" width="40" height="40" /> : <BrandMark />}
                  <span>{org.name}</span>
                </a>
              </li>
            </ul>
            <ul class="kb-nav-links" aria-label={t.nav.main}>
              {viewer ? (
                <>
                  {navLinks(viewer.role, t).map(([href, label]) => (
                    <li>
                      <a href={href} aria-current={path === href || path.startsWith(`${href}/`) ? "page" : undefined}>
                        {label}
                      </a>
                    </li>
                  ))}
                  <li>
                    <form method="post" action="/signout" class="kb-lang">
                      <button type="submit" class="secondary outline">
                        {t.nav.signOut}
                      </button>
                    </form>
                  </li>
                </>
              ) : null}
              <li>
                <form method="post" action="/lang" class="kb-lang">
                  <input type="hidden" name="lang" value={other} />
                  <input type="hidden" name="back" value={path} />
                  <button type="submit" class="secondary outline" lang={other} aria-label={`${t.lang.label}: ${LOCALES[other].lang.name}`}>
                    {LOCALES[other].lang.name}
                  </button>
                </form>
              </li>
            </ul>
          </nav>
        </header>
        <main class="container" id="main" tabindex={-1}>
          {props.children}
        </main>
        <footer class="container kb-muted">
          <small>{t.footer.privacy}</small>
        </footer>
      </body>
      </html>
    </>
  );
}

/** The places each role goes to, in the order they matter to it. */
function navLinks(role: Role, t: Messages): [string, string][] {
  const n = t.nav;
  switch (role) {
    case "client":
      return [["/book", n.book], ["/appointments", n.appointments], ["/account", n.account], ["/account/privacy", t.dataRights.account.link]];
    case "specialist":
      return [["/schedule", n.schedule], ["/clients", t.care.nav], ["/book", n.bookForClient], ["/hours", n.hours], ["/rooms", n.rooms], ["/account", n.account]];
    case "staff":
      return [["/schedule", n.schedule], ["/book", n.bookForClient], ["/account", n.account], ["/admin/privacy/requests", t.dataRights.queue.nav], ["/admin/imports", t.imports.nav]];
    case "admin":
      // Every admin page is one tap away on /admin (grouped there): a row of twenty links would fill a phone's screen.
      return [["/schedule", n.schedule], ["/clients", t.care.nav], ["/book", n.bookForClient], ["/rooms", n.rooms], ["/hours", n.hours], ["/account", n.account], ["/admin", t.adminHome.nav]];
  }
}

function BrandMark(): JSX.Element {
  return (
    <svg aria-hidden="true" width="28" height="28" viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round">
      <path d="m16 13 5.223 3.482a.5.5 0 0 0 .777-.416V7.87a.5.5 0 0 0-.752-.432L16 10.5" />
      <rect x="2" y="6" width="14" height="12" rx="2" />
    </svg>
  );
}
