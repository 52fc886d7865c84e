// First-run setup. Anyone may call it, but only while no admin exists (then it is a 404) and only with the code.
import { Hono } from "hono";
import { z } from "zod";
import { allow, anyone } from "../http/access.ts";
import type { AppEnv } from "../http/env.ts";
import { emailSchema, fieldErrors, nameSchema, passwordFieldSchema, readForm } from "../http/form.ts";
import { pageContext } from "../http/page.ts";
import { problem } from "../i18n/messages.ts";
import { describeDevice } from "../sessions/sessions.ts";
import { setSessionCookie } from "../sessions/session.middleware.ts";
import { DEFAULT_REMINDER_HOURS, isTimeZone } from "../settings/settings.ts";
import { passwordProblem } from "./passwords.ts";
import { completeSetup, type SetupGate } from "./setup.ts";
import type { AccountDeps } from "./sign-in.ts";
import { passwordMessage } from "./views/auth-pages.tsx";
import { SetupPage } from "./views/setup-page.tsx";


const setupSchema = z.object({
  code: z.string().trim().min(1, problem("required")),
  orgName: nameSchema,
  language: z.enum(["en", "ru"], { error: problem("invalid") }),
  timeZone: z.string().refine(isTimeZone, problem("invalid")),
  name: nameSchema,
  email: emailSchema,
  password: passwordFieldSchema,
});

export function setupRoutes(deps: AccountDeps, gate: SetupGate): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.get("/", allow(anyone), (c) => {
    if (!gate.isOpen) return c.notFound();
    return c.html(<SetupPage page={pageContext(c)} />);
  });

  app.post("/", allow(anyone), async (c) => {
    if (!gate.isOpen) return c.notFound();
    const t = c.get("t");
    const form = await readForm(c);
    const parsed = setupSchema.safeParse(form);
    const errors: Record<string, string> = parsed.success ? {} : fieldErrors(parsed.error, t);
    const problem = await passwordProblem(form.password ?? "");
    if (problem && !errors.password) errors.password = passwordMessage(problem, t);
    if (!errors.code && !gate.matches(form.code ?? "")) errors.code = t.setup.codeWrong;
    if (!parsed.success || Object.keys(errors).length > 0) {
      return c.html(<SetupPage page={pageContext(c)} values={form} errors={errors} />, 422);
    }
    const v = parsed.data;
    const result = await completeSetup(deps, {
      settings: { name: v.orgName, language: v.language, timeZone: v.timeZone, clientTwoFactor: "optional", selfRegistration: false, reminderHours: DEFAULT_REMINDER_HOURS, mailDetails: "minimal", address: "" },
      admin: { name: v.name, email: v.email, password: v.password },
      device: describeDevice(c.req.header("user-agent")),
    });
    if (!result) return c.notFound(); // someone finished setup a moment earlier
    gate.close();
    deps.log.info("setup complete", { personId: result.session.personId });
    setSessionCookie(c, deps.config.publicUrl, result.token, result.session);
    return c.redirect("/account/two-factor", 303);
  });

  return app;
}
