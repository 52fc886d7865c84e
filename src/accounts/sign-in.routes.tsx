// Signing in and out, one-time links, password reset by mail. (Registering: registration.routes.tsx.)
import type { Context } from "hono";
import { Hono } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import { z } from "zod";
import { allow, anyone, rememberReturnPath, signedOut, stage } from "../http/access.ts";
import type { AppEnv } from "../http/env.ts";
import { emailSchema, fieldErrors, readForm } from "../http/form.ts";
import { pageContext } from "../http/page.ts";
import { describeDevice, invalidateSession } from "../sessions/sessions.ts";
import { clearSessionCookie, setSessionCookie } from "../sessions/session.middleware.ts";
import { completeOneTimeLink, inspectOneTimeLink } from "./links.ts";
import { mailConfigured, sendEmailCode } from "./email-codes.ts";
import { completeSecondFactor, secondFactorMethod, type AccountDeps, signInWithPassword } from "./sign-in.ts";
import { DEVICE_COOKIE, DEVICE_PROOF_MS } from "./throttle.ts";
import { requestPasswordReset } from "./password-reset.ts";
import { registrationOpen } from "./registration.ts";
import { LinkInvalidPage, LinkPage, passwordMessage, ResetRequestPage, ResetSentPage, SecondFactorPage, SignInPage } from "./views/auth-pages.tsx";

const resetSchema = z.object({ email: emailSchema });

/** Carries a one-time link's token from /link/:token (or a proven registration) to /welcome. */
export const LINK_COOKIE = "kabinet_link";

export function signInRoutes(deps: AccountDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const { publicUrl } = deps.config;
  const secure = publicUrl.protocol === "https:";
  const canReset = mailConfigured(deps);
  const minutes = (ms: number) => Math.max(1, Math.ceil(ms / 60_000));

  app.get("/signin", allow(signedOut), (c) => {
    const t = c.get("t");
    rememberReturnPath(c, c.req.query("return")); // e.g. the booking a visitor picked before signing in
    const notice = c.req.query("reset") === "1" ? t.signIn.passwordReset : undefined;
    return c.html(<SignInPage page={pageContext(c)} canRegister={registrationOpen(deps)} canReset={canReset} notice={notice} />);
  });

  app.post("/signin", allow(signedOut), async (c) => {
    const t = c.get("t");
    const form = await readForm(c);
    const email = (form.email ?? "").slice(0, 254);
    const result = await signInWithPassword(deps, {
      email,
      password: (form.password ?? "").slice(0, 1024),
      ip: c.get("clientIp"),
      device: describeDevice(c.req.header("user-agent")),
      deviceCookie: getCookie(c, DEVICE_COOKIE),
    });
    if (result.kind !== "signed-in") {
      const message = result.kind === "throttled" ? t.signIn.throttled(minutes(result.retryAfterMs)) : t.signIn.invalid;
      return c.html(<SignInPage page={pageContext(c)} email={email} message={message} canRegister={registrationOpen(deps)} canReset={canReset} />, result.kind === "throttled" ? 429 : 422);
    }
    setSessionCookie(c, publicUrl, result.token, result.session);
    // Proof that this browser knew this account's password: others' failures never lock it out (throttle.ts).
    setCookie(c, DEVICE_COOKIE, result.deviceCookie, { path: "/signin", httpOnly: true, secure, sameSite: "Strict", maxAge: DEVICE_PROOF_MS / 1000 });
    return c.redirect(result.session.stage === "second-factor" ? "/signin/two-factor" : result.session.stage === "enrol" ? "/account/two-factor" : "/", 303);
  });

  const method = (c: Context<AppEnv>) => secondFactorMethod(deps, c.get("viewer")!.personId);
  app.get("/signin/two-factor", allow(stage("second-factor")), (c) => c.html(<SecondFactorPage page={pageContext(c)} method={method(c)} />));

  // Another code by email (the first went out with the password step); at most one a minute, five an hour.
  app.post("/signin/two-factor/resend", allow(stage("second-factor")), (c) => {
    const t = c.get("t");
    const personId = c.get("viewer")!.personId;
    if (method(c) !== "email") return c.html(<SecondFactorPage page={pageContext(c)} method="totp" />); // nothing to send
    const sent = deps.db.transaction((tx) => sendEmailCode(deps, tx, personId, "sign-in"), { behavior: "immediate" });
    if (sent.ok) return c.html(<SecondFactorPage page={pageContext(c)} method="email" notice={t.twoFactor.emailSent} />);
    const message = sent.reason === "throttled" ? t.signIn.throttled(minutes(sent.retryAfterMs)) : t.twoFactor.emailUnavailable;
    return c.html(<SecondFactorPage page={pageContext(c)} method="email" message={message} />, 429);
  });

  app.post("/signin/two-factor", allow(stage("second-factor")), async (c) => {
    const t = c.get("t");
    const form = await readForm(c);
    const partial = c.get("viewer")!.session;
    const result = completeSecondFactor(deps, partial, (form.code ?? "").slice(0, 40), c.get("clientIp"), partial.device);
    if (result.kind !== "signed-in") {
      const message = result.kind === "throttled" ? t.signIn.throttled(minutes(result.retryAfterMs)) : t.twoFactor.invalid;
      return c.html(<SecondFactorPage page={pageContext(c)} method={method(c)} message={message} />, result.kind === "throttled" ? 429 : 422);
    }
    setSessionCookie(c, publicUrl, result.token, result.session);
    return c.redirect("/", 303);
  });

  // Anyone: signing out a session that does not exist is a no-op that still clears the cookie.
  app.post("/signout", allow(anyone), (c) => {
    const viewer = c.get("viewer");
    if (viewer) invalidateSession(deps.db, viewer.session.handle);
    clearSessionCookie(c, publicUrl);
    return c.redirect("/signin", 303);
  });

  // The link's token moves into a short-lived cookie at once, so it does not stay in the address bar or history.
  app.get("/link/:token", allow(anyone), (c) => {
    const token = c.req.param("token");
    if (!inspectOneTimeLink(deps, token)) return c.html(<LinkInvalidPage page={pageContext(c)} />, 410);
    setCookie(c, LINK_COOKIE, token, { path: "/welcome", httpOnly: true, secure, sameSite: "Lax", maxAge: 3600 });
    return c.redirect("/welcome", 303);
  });

  app.get("/welcome", allow(anyone), (c) => {
    const open = inspectOneTimeLink(deps, getCookie(c, LINK_COOKIE) ?? "");
    if (!open) return c.html(<LinkInvalidPage page={pageContext(c)} />, 410);
    return c.html(<LinkPage page={pageContext(c)} purpose={open.purpose} name={open.person.name} />);
  });

  app.post("/welcome", allow(anyone), async (c) => {
    const token = getCookie(c, LINK_COOKIE) ?? "";
    const open = inspectOneTimeLink(deps, token);
    if (!open) return c.html(<LinkInvalidPage page={pageContext(c)} />, 410);
    const form = await readForm(c);
    const result = await completeOneTimeLink(deps, token, form.password ?? "", describeDevice(c.req.header("user-agent")));
    if (result.kind === "invalid-link") return c.html(<LinkInvalidPage page={pageContext(c)} />, 410);
    if (result.kind === "weak-password") {
      const error = passwordMessage(result.problem, c.get("t"));
      return c.html(<LinkPage page={pageContext(c)} purpose={open.purpose} name={open.person.name} error={error} />, 422);
    }
    deleteCookie(c, LINK_COOKIE, { path: "/welcome", secure });
    clearSessionCookie(c, publicUrl);
    if (result.kind === "reset") return c.redirect("/signin?reset=1", 303);
    setSessionCookie(c, publicUrl, result.token, result.session);
    return c.redirect(result.session.stage === "enrol" ? "/account/two-factor" : "/", 303);
  });

  app.get("/reset-password", allow(signedOut), (c) => {
    if (!canReset) return c.notFound();
    return c.html(<ResetRequestPage page={pageContext(c)} />);
  });

  app.post("/reset-password", allow(signedOut), async (c) => {
    const t = c.get("t");
    if (!canReset) return c.notFound();
    const form = await readForm(c);
    const parsed = resetSchema.safeParse(form);
    if (!parsed.success) return c.html(<ResetRequestPage page={pageContext(c)} email={form.email} error={fieldErrors(parsed.error, t).email} />, 422);
    const result = requestPasswordReset(deps, { email: parsed.data.email, ip: c.get("clientIp") });
    if (result.kind === "closed") return c.notFound();
    if (result.kind === "throttled") return c.html(<ResetRequestPage page={pageContext(c)} email={parsed.data.email} message={t.signIn.throttled(minutes(result.retryAfterMs))} />, 429);
    return c.html(<ResetSentPage page={pageContext(c)} />);
  });

  return app;
}
