// The webhooks pages for admins: the endpoints with their state and a form to add one; one endpoint with its
// settings, actions and delivery log (status codes, replay). The signing secret appears once, after creation or
// rotation, and is never shown again. The tables lead with what matters (an endpoint's state, a delivery's outcome)
// and become one card per row on a phone (.kb-stack in web/app.css).
import { dateTimeFormat } from "../../i18n/format.ts";
import { ActionButton, Field, type FieldErrors, FormAlert, Notice } from "../../views/form.tsx";
import { Layout, type PageContext } from "../../views/layout.tsx";
import type { WebhookDelivery } from "../deliveries.ts";
import type { WebhookEndpoint } from "../endpoints.ts";
import { WEBHOOK_EVENTS } from "../events.ts";
import { wordDeliveryProblem, wordDisabledReason } from "../reasons.ts";

export interface EndpointFormValues {
  url: string;
  events: readonly string[];
  personalData: boolean;
  internalHost: string;
}

const EMPTY: EndpointFormValues = { url: "", events: [], personalData: false, internalHost: "" };

export function WebhooksPage(p: { page: PageContext; endpoints: readonly WebhookEndpoint[]; timeZone: string; values?: EndpointFormValues; errors?: FieldErrors; notice?: string; message?: string }): JSX.Element {
  const w = p.page.t.webhooks;
  const when = dateTimeFormat(p.page, p.timeZone);
  return (
    <Layout page={p.page} title={w.title}>
      <h1>{w.title}</h1>
      {p.notice ? <Notice>{p.notice}</Notice> : null}
      <p>{w.intro}</p>
      {p.endpoints.length === 0 ? (
        <p>{w.empty}</p>
      ) : (
        <div class="kb-table kb-stack">
          <table>
            <thead>
              <tr>
                <th scope="col">{w.url}</th>
                <th scope="col">{w.state}</th>
                <th scope="col">{w.events}</th>
                <th scope="col">{w.personalData}</th>
              </tr>
            </thead>
            <tbody>
              {p.endpoints.map((e) => (
                <tr>
                  <td data-label={w.url}>
                    <a href={`/admin/webhooks/${e.id}`}>{e.url}</a>
                  </td>
                  <td data-label={w.state}>{endpointState(w, e, (at) => when.format(at))}</td>
                  <td data-label={w.events}>{e.events.map((ev) => w.eventNames[ev]).join(", ")}</td>
                  <td data-label={w.personalData}>{e.personalData ? w.yes : w.no}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <h2>{w.addTitle}</h2>
      <form method="post" action="/admin/webhooks">
        <FormAlert errors={p.errors} message={p.message} summary={p.page.t.form.errorSummary} />
        <EndpointFields page={p.page} values={p.values ?? EMPTY} errors={p.errors ?? {}} />
        <button type="submit">{w.add}</button>
      </form>
    </Layout>
  );
}

function EndpointFields(p: { page: PageContext; values: EndpointFormValues; errors: FieldErrors }): JSX.Element {
  const w = p.page.t.webhooks;
  const e = p.errors;
  return (
    <>
      <Field name="url" label={w.url} value={p.values.url} error={e.url} hint={w.urlHint} required maxlength={2000} autocomplete="off" />
      <fieldset aria-describedby={e.events ? "f-events-error" : undefined}>
        <legend>{w.eventsLegend}</legend>
        {e.events ? <small id="f-events-error">{e.events}</small> : null}
        {WEBHOOK_EVENTS.map((ev) => (
          <label>
            <input type="checkbox" name={`event.${ev}`} value="on" checked={p.values.events.includes(ev)} aria-invalid={e.events ? "true" : undefined} />
            {w.eventNames[ev]} <code>{ev}</code>
          </label>
        ))}
      </fieldset>
      <label for="f-personalData">
        <input id="f-personalData" type="checkbox" name="personalData" value="on" role="switch" checked={p.values.personalData} aria-describedby="f-personalData-hint" />
        {w.personalDataLabel}
      </label>
      <small id="f-personalData-hint">{w.personalDataWarning}</small>
      <Field name="internalHost" label={w.internalHost} value={p.values.internalHost} error={e.internalHost} hint={w.internalHostHint} maxlength={253} autocomplete="off" />
    </>
  );
}

export function WebhookPage(p: {
  page: PageContext;
  endpoint: WebhookEndpoint;
  deliveries: readonly WebhookDelivery[];
  timeZone: string;
  secret?: string;
  values?: EndpointFormValues;
  errors?: FieldErrors;
  notice?: string;
  message?: string;
}): JSX.Element {
  const w = p.page.t.webhooks;
  const e = p.endpoint;
  const when = dateTimeFormat(p.page, p.timeZone);
  const base = `/admin/webhooks/${e.id}`;
  return (
    <Layout page={p.page} title={w.details}>
      <h1>{w.details}</h1>
      {p.notice ? <Notice>{p.notice}</Notice> : null}
      {p.message && !p.errors ? (
        <p role="alert" class="kb-alert">
          {p.message}
        </p>
      ) : null}
      {p.secret ? (
        <section aria-labelledby="secret-title">
          <h2 id="secret-title">{w.secretTitle}</h2>
          <p>{w.secretOnce}</p>
          <p class="kb-secret">
            <code>{p.secret}</code>
          </p>
        </section>
      ) : null}
      <dl class="kb-facts">
        <dt>{w.url}</dt>
        <dd>{e.url}</dd>
        <dt>{w.state}</dt>
        <dd>{endpointState(w, e, (at) => when.format(at))}</dd>
        <dt>{w.personalData}</dt>
        <dd>{e.personalData ? w.yes : w.no}</dd>
        <dt>{w.createdAt}</dt>
        <dd>{when.format(e.createdAt)}</dd>
      </dl>
      <p>
        {e.enabled ? <ActionButton action={`${base}/test`} label={w.sendTest} /> : null}
        <ActionButton action={`${base}/rotate`} label={w.rotate} variant="secondary" />
        {e.enabled ? <ActionButton action={`${base}/disable`} label={w.disable} variant="secondary" /> : <ActionButton action={`${base}/enable`} label={w.enable} />}
        <ActionButton action={`${base}/delete`} label={w.delete} variant="contrast" />
      </p>
      <h2>{w.log}</h2>
      {p.deliveries.length === 0 ? (
        <p>{w.logEmpty}</p>
      ) : (
        <div class="kb-table kb-stack">
          <table>
            <thead>
              <tr>
                <th scope="col">{w.outcome}</th>
                <th scope="col">{w.when}</th>
                <th scope="col">{w.event}</th>
                <th scope="col">{w.attempts}</th>
                <th scope="col">{w.code}</th>
              </tr>
            </thead>
            <tbody>
              {p.deliveries.map((d) => (
                <tr data-delivery={d.id} data-status={d.status}>
                  <td data-label={w.outcome}>
                    <strong>{w.statuses[d.status]}</strong>
                    {d.lastError ? (
                      <>
                        <br />
                        <small>{d.lastProblem ? wordDeliveryProblem(w, d.lastProblem) : d.lastError}</small>
                      </>
                    ) : null}
                  </td>
                  <td data-label={w.when}>
                    {when.format(d.createdAt)}
                    <br />
                    <small>
                      <code>{d.id}</code>
                    </small>
                  </td>
                  <td data-label={w.event}>
                    <code>{d.eventType}</code>
                  </td>
                  <td data-label={w.attempts}>{d.attempts}</td>
                  <td data-label={w.code}>
                    {d.lastStatus ?? w.noAnswer}
                    {d.status !== "pending" && e.enabled ? <ActionButton action={`${base}/deliveries/${d.id}/replay`} label={w.replay} variant="secondary" /> : null}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <h2>{w.save}</h2>
      <form method="post" action={base}>
        <FormAlert errors={p.errors} message={p.errors ? p.message : undefined} summary={p.page.t.form.errorSummary} />
        <EndpointFields page={p.page} values={p.values ?? { url: e.url, events: e.events, personalData: e.personalData, internalHost: e.internalHost ?? "" }} errors={p.errors ?? {}} />
        <button type="submit">{w.save}</button>
      </form>
    </Layout>
  );
}

/** "Active", or "Disabled: " and why, in the reader's language and with their date and time. */
function endpointState(w: PageContext["t"]["webhooks"], e: WebhookEndpoint, when: (at: number) => string): string {
  if (e.enabled) return w.active;
  return w.disabledBecause(e.disabledBecause ? wordDisabledReason(w, e.disabledBecause, when) : "");
}
