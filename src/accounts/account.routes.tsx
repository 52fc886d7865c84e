// A person's own account: profile, password, two-factor, sessions. Every route acts on the viewer's own account only;
// a session handle that is not theirs is a 404.
import type { Context } from "hono";
import { Hono } from "hono";
import encodeQR from "qr";
import { recordAudit } from "../audit/audit.ts";
import { consentOf } from "../consent/consent.ts";
import { allow, everyone, stage } from "../http/access.ts";
import type { AppEnv } from "../http/env.ts";
import { readForm } from "../http/form.ts";
import { pageContext } from "../http/page.ts";
import { invalidateOwnSession, listPersonSessions } from "../sessions/sessions.ts";
import { clearSessionCookie, setSessionCookie } from "../sessions/session.middleware.ts";
import { personZone, setPersonHourCycle } from "../people/people.ts";
import { getSettings } from "../settings/settings.ts";
import { getPersonWithAccount } from "./people-admin.ts";
import { requiresTwoFactor } from "./policy.ts";
import { changePassword, endAllSessions } from "./self-service.ts";
import type { AccountDeps } from "./sign-in.ts";
import { mailConfigured, sendEmailCode } from "./email-codes.ts";
import { confirmEmailSecondFactor, confirmTOTPEnrolment, regenerateRecoveryCodes, resetTwoFactor, startTOTPEnrolment, twoFactorStatus } from "./two-factor.ts";
import { AccountPage, type AccountPageProps } from "./views/account-page.tsx";
import { passwordMessage } from "./views/auth-pages.tsx";
import { EnrolPage, RecoveryCodesPage } from "./views/two-factor-pages.tsx";

export function accountRoutes(deps: AccountDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const { publicUrl } = deps.config;

  const renderAccount = (c: Context<AppEnv>, extra: Partial<AccountPageProps> = {}, status: 200 | 401 | 422 = 200) => {
    const viewer = c.get("viewer")!;
    return c.html(
      <AccountPage
        page={pageContext(c)}
        person={getPersonWithAccount(deps, viewer.personId)!}
        twoFactor={twoFactorStatus(deps, viewer.personId)}
        sessions={listPersonSessions(deps.db, viewer.personId)}
        currentHandle={viewer.session.handle}
        timeZone={personZone(deps.db, viewer.personId)}
        consent={consentOf(deps.db, viewer.personId)}
        {...extra}
      />,
      status,
    );
  };

  const renderEnrol = (c: Context<AppEnv>, message?: string, emailStep?: { sent: boolean; message?: string }) => {
    const viewer = c.get("viewer")!;
    const enrolment = startTOTPEnrolment(deps, viewer.personId);
    const required = requiresTwoFactor(viewer.role, getSettings(deps.db));
    const qrSvg = encodeQR(enrolment.uri, "svg", { ecc: "medium", border: 2 });
    // Clients may take codes by email instead, when the organisation's mail server is set up.
    const email = viewer.role === "client" && mailConfigured(deps) ? (emailStep ?? { sent: false }) : null;
    return c.html(
      <EnrolPage page={pageContext(c)} qrSvg={qrSvg} secret={enrolment.secret} required={required} message={message} email={email} />,
      message || emailStep?.message ? 422 : 200,
    );
  };

  app.get("/", allow(everyone), (c) => renderAccount(c));

  // The clock the viewer reads times on, everywhere (pages and mails). Not personal data: no audit entry.
  app.post("/clock", allow(everyone), async (c) => {
    const choice = (await readForm(c)).hourCycle ?? "";
    if (choice !== "h12" && choice !== "h23" && choice !== "") return renderAccount(c, { clockError: c.get("t").form.invalid }, 422);
    const hourCycle = choice === "" ? null : choice;
    setPersonHourCycle(deps.db, c.get("viewer")!.personId, hourCycle);
    return renderAccount(c, { notice: c.get("t").account.clockSaved });
  });

  app.post("/password", allow(everyone), async (c) => {
    const t = c.get("t");
    const form = await readForm(c);
    const result = await changePassword(deps, c.get("viewer")!.session, form.current ?? "", form.next ?? "");
    if (result.kind === "wrong-password") return renderAccount(c, { passwordErrors: { current: t.account.wrongPassword } }, 422);
    if (result.kind === "weak") return renderAccount(c, { passwordErrors: { next: passwordMessage(result.problem, t) } }, 422);
    return renderAccount(c, { notice: t.account.passwordChanged });
  });

  // Enrolment serves a session waiting at "enrol" and a full session without two-factor alike.
  app.get("/two-factor", allow(stage("enrol")), (c) => {
    if (twoFactorStatus(deps, c.get("viewer")!.personId).enabled) return c.redirect("/account", 303);
    return renderEnrol(c);
  });

  app.post("/two-factor", allow(stage("enrol")), async (c) => {
    const viewer = c.get("viewer")!;
    if (twoFactorStatus(deps, viewer.personId).enabled) return c.redirect("/account", 303);
    const form = await readForm(c);
    const result = confirmTOTPEnrolment(deps, viewer.session, (form.code ?? "").slice(0, 20));
    if (!result.ok) return renderEnrol(c, c.get("t").twoFactor.invalid);
    if (result.renewed) {
      setSessionCookie(c, publicUrl, result.renewed.token, result.renewed.session);
      // The page below renders for the new, full session.
      c.set("viewer", { ...viewer, session: result.renewed.session });
    }
    return c.html(<RecoveryCodesPage page={pageContext(c)} codes={result.recoveryCodes} />);
  });

  // Codes by email instead of an app (clients): first a code to the mailbox, then that code turns it on.
  app.post("/two-factor/email", allow(stage("enrol")), (c) => {
    const viewer = c.get("viewer")!;
    if (viewer.role !== "client" || twoFactorStatus(deps, viewer.personId).enabled) return c.redirect("/account", 303);
    const t = c.get("t");
    const sent = deps.db.transaction((tx) => sendEmailCode(deps, tx, viewer.personId, "enrol"), { behavior: "immediate" });
    if (sent.ok) return renderEnrol(c, undefined, { sent: true });
    const message = sent.reason === "throttled" ? t.signIn.throttled(Math.ceil(sent.retryAfterMs / 60_000)) : t.twoFactor.emailUnavailable;
    return renderEnrol(c, undefined, { sent: false, message });
  });

  app.post("/two-factor/email/confirm", allow(stage("enrol")), async (c) => {
    const viewer = c.get("viewer")!;
    if (viewer.role !== "client" || twoFactorStatus(deps, viewer.personId).enabled) return c.redirect("/account", 303);
    const form = await readForm(c);
    const t = c.get("t");
    const result = confirmEmailSecondFactor(deps, viewer.session, (form.code ?? "").slice(0, 20));
    if (!result.ok) {
      const message = result.retryAfterMs ? t.signIn.throttled(Math.ceil(result.retryAfterMs / 60_000)) : t.twoFactor.invalid;
      return renderEnrol(c, undefined, { sent: true, message });
    }
    if (result.renewed) {
      setSessionCookie(c, publicUrl, result.renewed.token, result.renewed.session);
      c.set("viewer", { ...viewer, session: result.renewed.session });
    }
    return c.html(<RecoveryCodesPage page={pageContext(c)} codes={result.recoveryCodes} notice={t.twoFactor.emailOn} />);
  });

  app.post("/two-factor/reset", allow(everyone), async (c) => {
    const form = await readForm(c);
    const result = await resetTwoFactor(deps, c.get("viewer")!.session, form.password ?? "");
    if (result.kind === "wrong-password") return renderAccount(c, { resetError: c.get("t").account.wrongPassword }, 422);
    if (result.renewed) {
      setSessionCookie(c, publicUrl, result.renewed.token, result.renewed.session);
      return c.redirect("/account/two-factor", 303);
    }
    return c.redirect("/account", 303);
  });

  app.post("/recovery-codes", allow(everyone), async (c) => {
    const form = await readForm(c);
    const codes = await regenerateRecoveryCodes(deps, c.get("viewer")!.personId, form.password ?? "");
    if (!codes) return renderAccount(c, { codesError: c.get("t").account.wrongPassword }, 422);
    return c.html(<RecoveryCodesPage page={pageContext(c)} codes={codes} />);
  });

  app.post("/sessions/revoke-all", allow(everyone), (c) => {
    endAllSessions(deps, c.get("viewer")!.personId);
    clearSessionCookie(c, publicUrl);
    return c.redirect("/signin", 303);
  });

  app.post("/sessions/:handle/revoke", allow(everyone), (c) => {
    const viewer = c.get("viewer")!;
    const handle = c.req.param("handle");
    const ended = deps.db.transaction(
      (tx) => {
        if (!invalidateOwnSession(tx, viewer.personId, handle)) return false;
        recordAudit(tx, deps.vault, { actor: viewer.personId, action: "session.revoke", target: viewer.personId });
        return true;
      },
      { behavior: "immediate" },
    );
    if (!ended) return c.notFound();
    if (handle === viewer.session.handle) {
      clearSessionCookie(c, publicUrl);
      return c.redirect("/signin", 303);
    }
    return c.redirect("/account", 303);
  });

  return app;
}

