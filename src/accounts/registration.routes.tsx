// Registering as a client: name and email (and consent, when asked) → a code by mail → a password at /welcome.
// A visitor sent here with ?return=/some/path (a booking they picked) comes back to it once signed in.
import type { Context } from "hono";
import { Hono } from "hono";
import { getCookie, setCookie } from "hono/cookie";
import { z } from "zod";
import { consentPolicy } from "../consent/consent.ts";
import { allow, rememberReturnPath, RETURN_COOKIE, signedOut } from "../http/access.ts";
import type { AppEnv } from "../http/env.ts";
import { emailSchema, fieldErrors, nameSchema, readForm } from "../http/form.ts";
import { pageContext } from "../http/page.ts";
import { registerClient, registrationOpen, verifyRegistrationCode } from "./registration.ts";
import { LINK_COOKIE } from "./sign-in.routes.tsx";
import type { AccountDeps } from "./sign-in.ts";
import { type PendingRegistration, RegisterCodePage, RegisterPage } from "./views/auth-pages.tsx";

const registerSchema = z.object({ name: nameSchema, email: emailSchema });
const minutes = (ms: number) => Math.max(1, Math.ceil(ms / 60_000));
const versionOf = (v: string | undefined) => (v && /^\d{1,9}$/.test(v) ? Number(v) : null);

export function registrationRoutes(deps: AccountDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const secure = deps.config.publicUrl.protocol === "https:";
  const askedConsent = (c: Context<AppEnv>) => {
    const policy = consentPolicy(deps.db, c.get("locale"));
    return policy.required ? policy.current : null;
  };

  app.get("/", allow(signedOut), (c) => {
    if (!registrationOpen(deps)) return c.notFound();
    rememberReturnPath(c, c.req.query("return"));
    return c.html(<RegisterPage page={pageContext(c)} consent={askedConsent(c)} />);
  });

  app.post("/", allow(signedOut), async (c) => {
    const t = c.get("t");
    if (!registrationOpen(deps)) return c.notFound();
    const form = await readForm(c);
    const consent = askedConsent(c);
    const parsed = registerSchema.safeParse(form);
    const errors: Record<string, string> = parsed.success ? {} : fieldErrors(parsed.error, t);
    const consentVersion = form.consent === "on" ? versionOf(form.consentVersion) : null;
    if (consent && consentVersion === null) errors.consent = t.consent.acceptRequired;
    if (!parsed.success || errors.consent) return c.html(<RegisterPage page={pageContext(c)} values={form} errors={errors} consent={consent} />, 422);
    const result = registerClient(deps, { ...parsed.data, ip: c.get("clientIp") });
    if (result.kind === "closed") return c.notFound();
    if (result.kind === "throttled") {
      return c.html(<RegisterPage page={pageContext(c)} values={form} consent={consent} message={t.signIn.throttled(minutes(result.retryAfterMs))} />, 429);
    }
    rememberReturnPath(c, getCookie(c, RETURN_COOKIE)); // a fresh half hour for the way back
    const pending: PendingRegistration = { ...parsed.data, consentVersion };
    return c.html(<RegisterCodePage page={pageContext(c)} pending={pending} notice={form.resend ? t.register.resent : undefined} />);
  });

  app.post("/code", allow(signedOut), async (c) => {
    const t = c.get("t");
    const form = await readForm(c);
    const email = emailSchema.safeParse(form.email ?? "");
    const pending: PendingRegistration = { name: (form.name ?? "").slice(0, 120), email: email.success ? email.data : "", consentVersion: versionOf(form.consentVersion) };
    const result = verifyRegistrationCode(deps, { email: pending.email, code: (form.code ?? "").slice(0, 20), ip: c.get("clientIp"), consentVersion: pending.consentVersion });
    if (result.kind === "closed") return c.notFound();
    if (result.kind === "throttled") return c.html(<RegisterCodePage page={pageContext(c)} pending={pending} message={t.signIn.throttled(minutes(result.retryAfterMs))} />, 429);
    if (result.kind === "invalid") return c.html(<RegisterCodePage page={pageContext(c)} pending={pending} message={t.register.codeInvalid} />, 422);
    if (result.kind === "consent-needed") {
      const values = { name: pending.name, email: pending.email };
      return c.html(<RegisterPage page={pageContext(c)} values={values} errors={{ consent: t.consent.acceptRequired }} consent={askedConsent(c)} />, 422);
    }
    // The mailbox is proven: the password is chosen at /welcome, as with an invitation (the token never shows).
    setCookie(c, LINK_COOKIE, result.linkToken, { path: "/welcome", httpOnly: true, secure, sameSite: "Lax", maxAge: 1800 });
    return c.redirect("/welcome", 303);
  });

  return app;
}
