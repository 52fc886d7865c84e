import { dateTimeFormat } from "../../i18n/format.ts";
import { ActionButton, type FieldErrors, FormAlert, Notice } from "../../views/form.tsx";
import { Layout, type PageContext } from "../../views/layout.tsx";
import { BREAK_GLASS_MAX_MINUTES, type GrantView, type SupervisionView } from "../care.ts";

export function BreakGlassReviewPage(p: { page: PageContext; grants: readonly GrantView[]; viewerId: string; minutes: string; timeZone: string; notice?: string; errors?: FieldErrors }): JSX.Element {
  const t = p.page.t.care;
  const when = dateTimeFormat(p.page, p.timeZone);
  const e = p.errors ?? {};
  const verdictOf = (v: "justified" | "unjustified") => (v === "justified" ? t.justified : t.unjustified);
  return (
    <Layout page={p.page} title={t.reviewTitle}>
      <h1 id="review-title">{t.reviewTitle}</h1>
      <p>{t.reviewLead}</p>
      {p.notice ? <Notice>{p.notice}</Notice> : null}
      {/* A verdict refused has no field to mark: its reason is the alert itself. */}
      <FormAlert errors={e} message={e.verdict} summary={p.page.t.form.errorSummary} />
      {p.grants.length === 0 ? (
        <p class="kb-muted">{t.reviewNone}</p>
      ) : (
        <div class="kb-table" role="region" aria-labelledby="review-title" tabindex={0}>
          <table>
            <thead>
              <tr>
                <th scope="col">{t.granted}</th>
                <th scope="col">{t.who}</th>
                <th scope="col">{t.client}</th>
                <th scope="col">{t.reasonColumn}</th>
                <th scope="col">{t.until}</th>
                <th scope="col">{t.verdict}</th>
              </tr>
            </thead>
            <tbody>
              {p.grants.map((g) => (
                <tr class="kb-break-glass" data-grant={g.id}>
                  <td>{when.format(g.createdAt)}</td>
                  <td>{g.staffName}</td>
                  <td>{g.clientName ?? <span class="kb-muted">{t.erased}</span>}</td>
                  <td>{g.reason ?? <span class="kb-muted">{t.erased}</span>}</td>
                  <td>{when.format(g.expiresAt)}</td>
                  <td>
                    {g.review ? (
                      t.reviewedBy(verdictOf(g.review.verdict), g.review.by, when.format(g.review.at))
                    ) : g.staffId === p.viewerId ? (
                      <span class="kb-muted">{t.ownGrantHint}</span>
                    ) : (
                      <>
                        <span class="kb-muted">{t.toReview}</span>{" "}
                        <ActionButton action={`/admin/break-glass/${g.id}/review`} label={t.justified} variant="secondary" hidden={{ verdict: "justified" }} />{" "}
                        <ActionButton action={`/admin/break-glass/${g.id}/review`} label={t.unjustified} variant="contrast" hidden={{ verdict: "unjustified" }} />
                      </>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <form method="post" action="/admin/break-glass/minutes" novalidate>
        <fieldset>
          <legend>{t.minutesLegend}</legend>
          <label for="f-minutes">{t.minutes}</label>
          <input
            id="f-minutes"
            name="minutes"
            type="number"
            min="1"
            max={String(BREAK_GLASS_MAX_MINUTES)}
            value={p.minutes}
            aria-invalid={e.minutes ? "true" : undefined}
            aria-describedby={e.minutes ? "f-minutes-error f-minutes-hint" : "f-minutes-hint"}
          />
          {e.minutes ? <small id="f-minutes-error">{e.minutes}</small> : null}
          <small id="f-minutes-hint">{t.minutesHint(BREAK_GLASS_MAX_MINUTES)}</small>
        </fieldset>
        <button type="submit">{t.save}</button>
      </form>
    </Layout>
  );
}

export interface HostChoice {
  id: string;
  name: string;
}

export function SupervisionsPage(p: { page: PageContext; supervisions: readonly SupervisionView[]; hosts: readonly HostChoice[]; notice?: string; problem?: string; form?: { supervisorId: string; specialistId: string } }): JSX.Element {
  const t = p.page.t.care;
  const options = (selected: string | undefined) =>
    p.hosts.map((h) => (
      <option value={h.id} selected={h.id === selected}>
        {h.name}
      </option>
    ));
  return (
    <Layout page={p.page} title={t.supTitle}>
      <h1 id="sup-title">{t.supTitle}</h1>
      <p>{t.supLead}</p>
      {p.notice ? <Notice>{p.notice}</Notice> : null}
      {p.problem ? <FormAlert message={p.problem} summary={p.problem} /> : null}
      {p.supervisions.length === 0 ? (
        <p class="kb-muted">{t.supNone}</p>
      ) : (
        <div class="kb-table" role="region" aria-labelledby="sup-title" tabindex={0}>
          <table>
            <thead>
              <tr>
                <th scope="col">{t.supervisor}</th>
                <th scope="col">{t.supervisee}</th>
                <th scope="col">
                  <span class="kb-visually-hidden">{t.remove}</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {p.supervisions.map((s) => (
                <tr>
                  <td>{s.supervisor}</td>
                  <td>{s.specialist}</td>
                  <td>
                    <ActionButton action="/admin/supervisions/remove" label={t.remove} variant="secondary" hidden={{ supervisorId: s.supervisorId, specialistId: s.specialistId }} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <form method="post" action="/admin/supervisions" class="grid">
        <div>
          <label for="f-supervisorId">{t.supervisor}</label>
          <select id="f-supervisorId" name="supervisorId">
            {options(p.form?.supervisorId)}
          </select>
        </div>
        <div>
          <label for="f-specialistId">{t.supervisee}</label>
          <select id="f-specialistId" name="specialistId">
            {options(p.form?.specialistId)}
          </select>
        </div>
        <div>
          <button type="submit">{t.add}</button>
        </div>
      </form>
    </Layout>
  );
}
