import type { PersonWithAccount } from "../../accounts/people-admin.ts";
import { ROLES } from "../../roles.ts";
import { ActionButton, Field, type FieldErrors, FormAlert, Notice, Select } from "../../views/form.tsx";
import { Layout, type PageContext } from "../../views/layout.tsx";


export function PeoplePage(p: { page: PageContext; people: readonly PersonWithAccount[]; values?: Record<string, string>; errors?: FieldErrors }): JSX.Element {
  const { t } = p.page;
  const e = p.errors ?? {};
  const roleOptions = ROLES.map((r) => [r, t.roles[r]] as const);
  return (
    <Layout page={p.page} title={t.people.title}>
      <h1>{t.people.title}</h1>
      {p.people.length === 0 ? (
        <p>{t.people.empty}</p>
      ) : (
        <div class="kb-table">
          <table>
            <thead>
              <tr>
                <th scope="col">{t.people.name}</th>
                <th scope="col">{t.people.email}</th>
                <th scope="col">{t.people.role}</th>
                <th scope="col">{t.people.status}</th>
                <th scope="col">{t.people.twoFactor}</th>
              </tr>
            </thead>
            <tbody>
              {p.people.map((person) => (
                <tr>
                  <td>
                    <a href={`/admin/people/${person.id}`}>{person.erased ? t.erasure.erasedName : person.name}</a>
                  </td>
                  <td>{person.email}</td>
                  <td>{t.roles[person.role]}</td>
                  <td>{t.statuses[person.status]}</td>
                  <td>{person.twoFactor ? t.people.yes : t.people.no}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <article aria-labelledby="invite">
        <h2 id="invite">{t.people.invite}</h2>
        <form method="post" action="/admin/people" novalidate>
          <FormAlert errors={e} summary={t.form.errorSummary} />
          <Field name="name" label={t.people.name} value={p.values?.name} error={e.name} autocomplete="off" required maxlength={120} />
          <Field name="email" type="email" label={t.people.email} value={p.values?.email} error={e.email} autocomplete="off" required />
          <Select name="role" label={t.people.role} value={p.values?.role ?? "specialist"} error={e.role} options={roleOptions} />
          <button type="submit">{t.people.inviteSubmit}</button>
        </form>
      </article>
    </Layout>
  );
}

export function PersonPage(p: { page: PageContext; person: PersonWithAccount; isSelf: boolean; message?: string; notice?: string; restricted?: boolean }): JSX.Element {
  const { t } = p.page;
  const base = `/admin/people/${p.person.id}`;
  return (
    <Layout page={p.page} title={p.person.erased ? t.erasure.erasedName : p.person.name}>
      <p>
        <a href="/admin/people">← {t.people.back}</a>
      </p>
      <h1>{p.person.erased ? t.erasure.erasedName : p.person.name}</h1>
      {p.notice ? <Notice>{p.notice}</Notice> : null}
      <FormAlert message={p.message} summary={t.form.errorSummary} />
      <dl>
        <dt>{t.people.email}</dt>
        <dd>{p.person.email}</dd>
        <dt>{t.people.role}</dt>
        <dd>{t.roles[p.person.role]}</dd>
        <dt>{t.people.status}</dt>
        <dd>{t.statuses[p.person.status]}</dd>
        <dt>{t.people.twoFactor}</dt>
        <dd>{p.person.twoFactor ? t.people.yes : t.people.no}</dd>
      </dl>
      {p.person.erased ? <p>{t.erasure.noAccount}</p> : null}
      <p>
        <a href={`/admin/accountability/reads?client=${p.person.id}`}>{t.accountability.readsLink}</a>
        {p.person.role === "client" ? (
          <>
            {" · "}
            <a href={`/consent/clients/${p.person.id}`}>{t.care.consents}</a>
          </>
        ) : null}
      </p>
      {p.restricted ? <p class="kb-alert" data-restricted="true">{t.retention.holds.restrictedMark}</p> : null}
      {p.isSelf || p.person.erased ? null : (
        <article>
          <form method="post" action={`${base}/role`}>
            <Select name="role" label={t.people.role} value={p.person.role} options={ROLES.map((r) => [r, t.roles[r]] as const)} />
            <button type="submit" class="secondary">
              {t.people.changeRole}
            </button>
          </form>
          {p.person.status === "deactivated" ? (
            <ActionButton action={`${base}/reactivate`} label={t.people.reactivate} />
          ) : (
            <ActionButton action={`${base}/deactivate`} label={t.people.deactivate} variant="contrast" />
          )}
          {p.person.status === "active" ? <ActionButton action={`${base}/reset-link`} label={t.people.resetLink} variant="secondary" /> : null}
          {p.person.status === "invited" ? <ActionButton action={`${base}/invitation`} label={t.people.reissue} variant="secondary" /> : null}
          {p.person.twoFactor ? (
            <details>
              <summary>{t.people.resetTwoFactor}</summary>
              <form method="post" action={`${base}/two-factor/reset`}>
                <p>{t.people.resetTwoFactorHint}</p>
                <Field name="password" type="password" label={t.people.yourPassword} autocomplete="current-password" required />
                <button type="submit" class="contrast">
                  {t.people.resetTwoFactor}
                </button>
              </form>
            </details>
          ) : null}
          {p.person.role === "client" && !p.person.erased ? <a href={`${base}/erase`}>{t.erasure.link}</a> : null}
          {p.person.role === "client" && !p.person.erased ? <p><a href={`${base}/holds`}>{t.retention.holds.link}</a></p> : null}
        </article>
      )}
    </Layout>
  );
}

export function LinkHandoverPage(p: { page: PageContext; person: PersonWithAccount; url: string; purpose: "invite" | "reset"; mailed: boolean }): JSX.Element {
  const { t } = p.page;
  return (
    <Layout page={p.page} title={t.people.linkTitle}>
      <article>
        <h1>{t.people.linkTitle}</h1>
        <p>
          <strong>{p.person.name}</strong> · {p.person.email}
        </p>
        <p>{p.purpose === "invite" ? t.people.linkInvite : t.people.linkReset}</p>
        <p class="kb-link" data-testid="one-time-link">
          {p.url}
        </p>
        <p class="kb-muted">{t.people.copyHint}</p>
        <p>{p.mailed ? t.people.mailed : t.people.notMailed}</p>
        <a href="/admin/people" role="button" class="secondary">
          {t.people.back}
        </a>
      </article>
    </Layout>
  );
}
