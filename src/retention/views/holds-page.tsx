import { dateTimeFormat } from "../../i18n/format.ts";
import type { Messages } from "../../i18n/messages.ts";
import { ActionButton, Field, type FieldErrors, FormAlert, Notice, Select, TextArea } from "../../views/form.tsx";
import { Layout, type PageContext } from "../../views/layout.tsx";
import type { LegalHold, Restriction, RetentionBlock } from "../holds.ts";
import { HOLD_TYPES, RESTRICTION_REASONS } from "../holds.ts";

const holdTypeName = (t: Messages, type: string) => t.retention.holds.types[type as keyof Messages["retention"]["holds"]["types"]] ?? type;

/** The mark of a restricted client, on the holds page and the erase page. */
export function RestrictedMark(p: { page: PageContext; restriction: Restriction | null; timeZone: string }): JSX.Element | null {
  if (!p.restriction) return null;
  return (
    <p class="kb-alert" data-restricted="true">
      <strong>{p.page.t.retention.holds.restricted(dateTimeFormat(p.page, p.timeZone).format(p.restriction.since))}</strong>{" "}
      <span data-restriction-reason={p.restriction.reason}>{p.page.t.retention.holds.restrictReasons[p.restriction.reason]}</span>
    </p>
  );
}

/**
 * On the erase page of a client whose records the law keeps: the standing holds with their reasons, or until when
 * the policy keeps them, and the button to restrict processing instead (unless restricted already).
 */
export function KeptNotice(p: { page: PageContext; personId: string; block: RetentionBlock; holds: readonly LegalHold[]; restriction: Restriction | null; timeZone: string }): JSX.Element {
  const { t } = p.page;
  const h = t.retention.holds;
  const when = dateTimeFormat(p.page, p.timeZone);
  return (
    <article>
      {p.block.kind === "legal-hold" ? (
        <>
          <p>{h.heldBy}</p>
          <ul>
            {p.holds
              .filter((x) => x.active)
              .map((x) => (
                <li>
                  <strong>{holdTypeName(t, x.recordType)}</strong>: {x.reason ?? h.reasonErased} ({x.until === null ? h.untilReleased : h.untilDate(when.format(x.until))})
                </li>
              ))}
          </ul>
        </>
      ) : (
        <p>{h.keptUntil(t.retention.types[p.block.recordType], when.format(p.block.until))}</p>
      )}
      <RestrictedMark page={p.page} restriction={p.restriction} timeZone={p.timeZone} />
      {p.restriction ? null : (
        <>
          <p class="kb-muted">{h.restrictHint}</p>
          <ActionButton action={`/admin/people/${p.personId}/restrict`} label={h.restrict} variant="contrast" />
        </>
      )}
      <p>
        <a href={`/admin/people/${p.personId}/holds`}>{h.link}</a>
      </p>
    </article>
  );
}

export function HoldsPage(p: {
  page: PageContext;
  personId: string;
  label: string;
  holds: readonly LegalHold[];
  restriction: Restriction | null;
  timeZone: string;
  values?: Record<string, string>;
  errors?: FieldErrors;
  message?: string;
  notice?: string;
}): JSX.Element {
  const { t } = p.page;
  const h = t.retention.holds;
  const base = `/admin/people/${p.personId}`;
  const when = dateTimeFormat(p.page, p.timeZone);
  return (
    <Layout page={p.page} title={h.title}>
      <p>
        <a href={base}>← {p.label}</a>
      </p>
      <h1>{h.title}</h1>
      <p>
        <strong>{p.label}</strong>
      </p>
      {p.notice ? <Notice>{p.notice}</Notice> : null}
      <FormAlert message={p.message} errors={p.errors} summary={t.form.errorSummary} />
      <RestrictedMark page={p.page} restriction={p.restriction} timeZone={p.timeZone} />
      <p>{h.lead}</p>
      {p.holds.length === 0 ? (
        <p>{h.none}</p>
      ) : (
        <ul>
          {p.holds.map((x) => (
            <li>
              <strong>{holdTypeName(t, x.recordType)}</strong>: {x.reason ?? h.reasonErased} <span class="kb-muted">
                ({x.active ? h.standing : h.ended}, {h.placedAt(when.format(x.createdAt))}, {x.until === null ? h.untilReleased : h.untilDate(when.format(x.until))}
                {x.releasedAt === null ? "" : `, ${h.releasedAt(when.format(x.releasedAt))}`})
              </span>
              {x.active ? <ActionButton action={`${base}/holds/${x.id}/release`} label={h.release} variant="secondary" /> : null}
            </li>
          ))}
        </ul>
      )}
      <h2>{h.placeTitle}</h2>
      <article>
        <form method="post" action={`${base}/holds`}>
          <Select name="recordType" label={h.recordType} value={p.values?.recordType ?? "all"} error={p.errors?.recordType} options={HOLD_TYPES.map((x) => [x, holdTypeName(t, x)] as const)} />
          <TextArea name="reason" label={h.reason} value={p.values?.reason ?? ""} error={p.errors?.reason} hint={h.reasonHint} />
          <Field name="until" type="date" label={h.until} value={p.values?.until ?? ""} error={p.errors?.until} hint={h.untilHint} />
          <button type="submit">{h.place}</button>
        </form>
      </article>
      {p.restriction ? (
        <>
          <h2>{h.liftTitle}</h2>
          <p class="kb-muted">{h.liftHint}</p>
          <ActionButton action={`${base}/restrict/lift`} label={h.lift} variant="secondary" />
        </>
      ) : (
        <>
          <h2>{h.restrictTitle}</h2>
          <p class="kb-muted">{h.restrictHint}</p>
          <article>
            <form method="post" action={`${base}/restrict`}>
              <Select
                name="restrictReason"
                label={h.restrictReason}
                value={p.values?.restrictReason ?? "request"}
                error={p.errors?.restrictReason}
                options={RESTRICTION_REASONS.map((x) => [x, h.restrictReasons[x]] as const)}
              />
              <button type="submit" class="contrast">
                {h.restrictTitle}
              </button>
            </form>
          </article>
        </>
      )}
    </Layout>
  );
}
