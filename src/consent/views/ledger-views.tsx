// The ledger as people read it: the client's own consents page, and the staff view of one client's consents.
import { dateTimeFormat } from "../../i18n/format.ts";
import { FormAlert, Notice } from "../../views/form.tsx";
import { Layout, type PageContext } from "../../views/layout.tsx";
import { CONSENT_PURPOSES } from "../consent.ts";
import type { LedgerEntry, PurposeStatus } from "../ledger.ts";
import type { LedgerView } from "../ledger-page.ts";
import { formatDueDay } from "../../privacy/views/requests-dates.ts";
import { ConsentParagraphs } from "./consent-views.tsx";

type Names = ReadonlyMap<string, string>;

/** Where the person stands for one purpose, said to them ("own") or about them to staff. */
function StatusLine(p: { page: PageContext; s: PurposeStatus; timeZone: string; names: Names; voice: "own" | "staff" }): JSX.Element {
  const { t } = p.page;
  const when = dateTimeFormat(p.page, p.timeZone);
  const e = p.s.latest;
  if (!e) return <p>{t.consent.stateNever}</p>;
  const how = `${t.consent.methods[e.method]}${e.method === "staff" ? ` (${t.consent.recordedBy(p.names.get(e.recordedBy) ?? "—")})` : ""}`;
  if (p.s.state === "withdrawn") return <p>{t.consent.stateWithdrawn(when.format(e.at), how)}</p>;
  const own = p.voice === "own";
  if (p.s.state === "outdated") return <p class="kb-alert">{own ? t.consent.stateOutdated(e.version) : t.consent.staffOutdated(e.version)}</p>;
  const newer = p.s.newerText && p.s.current ? p.s.current.version : null;
  return (
    <>
      <p class="kb-ok">{own ? t.consent.stateGiven(e.version, when.format(e.at), how) : t.consent.staffGiven(e.version, when.format(e.at), how)}</p>
      {newer !== null ? <p class="kb-muted">{own ? t.consent.newerText(newer) : t.consent.staffNewerText(newer)}</p> : null}
    </>
  );
}

/** One purpose on the client's page: what it covers, where they stand, the words, and the one action that applies. */
function PurposeCard(p: { page: PageContext; s: PurposeStatus; timeZone: string; names: Names; stopRequest?: LedgerView["stopRequest"] }): JSX.Element {
  const { t, locale } = p.page;
  const { s } = p;
  const seen = s.latest?.action === "given" ? s.latest.document : null;
  const showCurrent = s.current && (!seen || seen.version !== s.current.version);
  const mayGive = s.current !== null && (s.state !== "given" || s.newerText);
  return (
    <article aria-labelledby={`my-${s.purpose}`}>
      <h2 id={`my-${s.purpose}`}>{t.consent.purposes[s.purpose]}</h2>
      <StatusLine page={p.page} s={s} timeZone={p.timeZone} names={p.names} voice="own" />
      <p class="kb-muted">{t.consent.myEffects[s.purpose]}</p>
      {p.stopRequest ? (
        <p role="status">
          {t.consent.stopRequested(formatDueDay(locale, p.stopRequest.timeZone, p.stopRequest.request.dueAt), t.dataRights.status[p.stopRequest.request.status])}{" "}
          <a href="/account/privacy">{t.dataRights.account.link}</a>
        </p>
      ) : null}
      {seen ? (
        <details>
          <summary>{t.consent.textSeen(seen.version)}</summary>
          <ConsentParagraphs text={seen.text[locale]} />
        </details>
      ) : null}
      {showCurrent ? (
        <details open={mayGive}>
          <summary>{t.consent.currentText(s.current!.version)}</summary>
          <ConsentParagraphs text={s.current!.text[locale]} />
        </details>
      ) : null}
      {s.current === null ? <p class="kb-muted">{t.consent.noText}</p> : null}
      {mayGive ? (
        <form method="post" action={`/account/consents/${s.purpose}/give`} class="kb-inline">
          <input type="hidden" name="version" value={String(s.current!.version)} />
          <button type="submit">{t.consent.give}</button>
        </form>
      ) : null}
      {s.latest?.action === "given" ? (
        <form method="post" action={`/account/consents/${s.purpose}/withdraw`} class="kb-inline">
          <button type="submit" class="secondary">
            {t.consent.withdraw}
          </button>
        </form>
      ) : null}
    </article>
  );
}

/** Every entry, oldest first: when, what, which version, given or withdrawn, how, by whom. */
function LedgerTable(p: { page: PageContext; entries: readonly LedgerEntry[]; timeZone: string; names: Names; personId: string; labelledBy: string }): JSX.Element {
  const { t } = p.page;
  const when = dateTimeFormat(p.page, p.timeZone);
  if (p.entries.length === 0) return <p class="kb-muted">{t.consent.ledgerEmpty}</p>;
  const [, purpose, version, action, how, by] = t.consent.csvHeader;
  return (
    // Scrolls sideways on a phone: focusable and named, so a keyboard can scroll it too.
    <div class="kb-table" tabindex={0} role="region" aria-labelledby={p.labelledBy}>
      <table>
        <thead>
          <tr>
            <th scope="col">{t.consent.columnWhen}</th>
            <th scope="col">{purpose}</th>
            <th scope="col">{version}</th>
            <th scope="col">{action}</th>
            <th scope="col">{how}</th>
            <th scope="col">{by}</th>
          </tr>
        </thead>
        <tbody>
          {p.entries.map((e) => (
            <tr>
              <td>{when.format(e.at)}</td>
              <td>{t.consent.purposes[e.purpose]}</td>
              <td>{e.version}</td>
              <td>{e.action === "withdrawn" ? <strong>{t.consent.actions[e.action]}</strong> : t.consent.actions[e.action]}</td>
              <td>{t.consent.methods[e.method]}</td>
              <td>{e.recordedBy === p.personId ? t.consent.self : (p.names.get(e.recordedBy) ?? "—")}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export interface LedgerPageProps {
  page: PageContext;
  personId: string;
  statuses: readonly PurposeStatus[];
  entries: readonly LedgerEntry[];
  /** Names of the staff who recorded entries (and of the client, on the staff view), by person id. */
  names: Names;
  timeZone: string;
  stopRequest?: LedgerView["stopRequest"];
  notice?: string;
  problem?: string;
}

export function MyConsentsPage(p: LedgerPageProps): JSX.Element {
  const { t } = p.page;
  return (
    <Layout page={p.page} title={t.consent.myTitle}>
      <h1>{t.consent.myTitle}</h1>
      {p.notice ? <Notice>{p.notice}</Notice> : null}
      <FormAlert message={p.problem} summary="" />
      <p>{t.consent.myLead}</p>
      {p.statuses.map((s) => (
        <PurposeCard page={p.page} s={s} timeZone={p.timeZone} names={p.names} stopRequest={s.purpose === "processing" ? p.stopRequest : null} />
      ))}
      <section aria-labelledby="my-ledger">
        <h2 id="my-ledger">{t.consent.ledger}</h2>
        <LedgerTable page={p.page} entries={p.entries} timeZone={p.timeZone} names={p.names} personId={p.personId} labelledBy="my-ledger" />
        <p>
          <a href="/account/consents/ledger.csv" download>
            {t.consent.csv}
          </a>
        </p>
      </section>
    </Layout>
  );
}

export function ClientConsentsPage(p: LedgerPageProps & { clientName: string | null; problemField?: string }): JSX.Element {
  const { t } = p.page;
  const title = t.consent.clientTitle(p.clientName || t.consent.erased);
  const base = `/consent/clients/${p.personId}`;
  const processing = p.statuses.find((s) => s.purpose === "processing");
  return (
    <Layout page={p.page} title={title}>
      <h1>{title}</h1>
      {p.notice ? <Notice>{p.notice}</Notice> : null}
      {processing?.state === "withdrawn" ? (
        <p role="alert" class="kb-alert">
          {t.consent.processingWithdrawn}
          {p.stopRequest ? (
            <>
              {" "}
              {t.consent.staffStopRequested(formatDueDay(p.page.locale, p.stopRequest.timeZone, p.stopRequest.request.dueAt))}
            </>
          ) : null}
        </p>
      ) : null}
      <dl class="kb-facts">
        {p.statuses.map((s) => (
          <>
            <dt>{t.consent.purposes[s.purpose]}</dt>
            <dd>
              <StatusLine page={p.page} s={s} timeZone={p.timeZone} names={p.names} voice="staff" />
              {s.state === "withdrawn" ? <p class="kb-muted">{t.consent.effects[s.purpose]}</p> : null}
            </dd>
          </>
        ))}
      </dl>
      <section aria-labelledby="client-ledger">
        <h2 id="client-ledger">{t.consent.ledger}</h2>
        <LedgerTable page={p.page} entries={p.entries} timeZone={p.timeZone} names={p.names} personId={p.personId} labelledBy="client-ledger" />
        <p>
          <a href={`${base}/ledger.csv`} download>
            {t.consent.csv}
          </a>
        </p>
      </section>
      {p.clientName === null ? (
        <FormAlert message={p.problem} summary="" />
      ) : (
        <section aria-labelledby="paper">
          <h2 id="paper">{t.consent.paperTitle}</h2>
          <p class="kb-muted" id="paper-hint">
            {t.consent.paperHint}
          </p>
          <form method="post" action={`${base}/paper`} novalidate aria-describedby="paper-hint">
            <FormAlert message={p.problem} summary="" />
            <label for="f-paper-purpose">{t.consent.paperPurpose}</label>
            <select id="f-paper-purpose" name="purpose">
              {CONSENT_PURPOSES.map((purpose) => (
                <option value={purpose}>{t.consent.purposes[purpose]}</option>
              ))}
            </select>
            <fieldset>
              <legend>{t.consent.paperAction}</legend>
              <label>
                <input type="radio" name="action" value="given" checked />
                {t.consent.paperGive}
              </label>
              <label>
                <input type="radio" name="action" value="withdrawn" />
                {t.consent.paperWithdraw}
              </label>
            </fieldset>
            <button type="submit">{t.consent.paperSave}</button>
          </form>
        </section>
      )}
    </Layout>
  );
}
