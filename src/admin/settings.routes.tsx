// Organisation settings and its logo. Admins only; every change is audited.
import type { Context } from "hono";
import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import type { AccountDeps } from "../accounts/sign-in.ts";
import { recordAudit } from "../audit/audit.ts";
import { adminOnly, allow } from "../http/access.ts";
import type { AppEnv } from "../http/env.ts";
import { fieldErrors, readForm } from "../http/form.ts";
import { pageContext } from "../http/page.ts";
import { checkLogo, getLogo, LOGO_MAX_BYTES, type LogoProblem, logoUrl, removeLogo, saveLogo } from "../settings/logo.ts";
import { getSettings, workingHoursOfForm, type OrgSettings, saveSettings, settingsOfForm, settingsSchema } from "../settings/settings.ts";
import { SettingsPage } from "./views/settings-page.tsx";

export function settingsRoutes(deps: AccountDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const render = (c: Context<AppEnv>, extra: { settings?: OrgSettings; errors?: Record<string, string>; notice?: string; logoError?: string } = {}, status: 200 | 413 | 422 = 200) => {
    const logo = getLogo(deps.db);
    return c.html(<SettingsPage page={pageContext(c)} settings={extra.settings ?? getSettings(deps.db)!} logoUrl={logo ? logoUrl(logo) : null} {...extra} />, status);
  };

  app.get("/", allow(adminOnly), (c) => render(c));
  app.post("/", allow(adminOnly), async (c) => {
    const form = await readForm(c);
    const parsed = settingsSchema.safeParse({ ...form, selfRegistration: form.selfRegistration === "on", mailSpecialists: form.mailSpecialists === "on", ...workingHoursOfForm(form, getSettings(deps.db)!) });
    if (!parsed.success) return render(c, { errors: fieldErrors(parsed.error, c.get("t")) }, 422);
    const settings = settingsOfForm(parsed.data);
    const actor = c.get("viewer")!.personId;
    deps.db.transaction(
      (tx) => {
        saveSettings(tx, settings);
        recordAudit(tx, deps.vault, {
          actor,
          action: "settings.change",
          details: {
            clientTwoFactor: parsed.data.clientTwoFactor,
            selfRegistration: parsed.data.selfRegistration,
            language: parsed.data.language,
            reminderHours: parsed.data.reminderHours.join(","),
            mailDetails: parsed.data.mailDetails,
            mailSpecialists: parsed.data.mailSpecialists,
            unencryptedCalls: parsed.data.unencryptedCalls,
            workingHours: `${parsed.data.hoursDays.join(",")} ${parsed.data.hoursFrom}-${parsed.data.hoursTo}`,
            securityAlertMail: parsed.data.securityAlertMail,
          },
          at: c.get("now"),
        });
      },
      { behavior: "immediate" },
    );
    return render(c, { settings, notice: c.get("t").people.saved });
  });

  // The logo: its own form, a multipart upload of at most LOGO_MAX_BYTES (app.ts lets this path past the form limit;
  // this limit holds it to a little above the logo's).
  const logoProblem = (c: Context<AppEnv>, problem: LogoProblem) => {
    const s = c.get("t").settings;
    const message = problem === "type" ? s.logoType : problem === "too-large" ? s.logoTooLarge(LOGO_MAX_BYTES / 1024) : s.logoEmpty;
    return render(c, { logoError: message }, 422);
  };
  const uploadLimit = bodyLimit({ maxSize: LOGO_MAX_BYTES + 64 * 1024, onError: (c) => logoProblem(c as Context<AppEnv>, "too-large") });
  app.post("/logo", allow(adminOnly), uploadLimit, async (c) => {
    let file: unknown;
    try {
      file = (await c.req.parseBody())["logo"];
    } catch {
      return logoProblem(c, "empty");
    }
    if (!(file instanceof File)) return logoProblem(c, "empty");
    const bytes = new Uint8Array(await file.arrayBuffer());
    const checked = checkLogo(bytes);
    if (!checked.ok) return logoProblem(c, checked.problem);
    const actor = c.get("viewer")!.personId;
    deps.db.transaction(
      (tx) => {
        const logo = saveLogo(tx, checked.kind, bytes);
        recordAudit(tx, deps.vault, { actor, action: "settings.logo", details: { kind: logo.kind, bytes: bytes.length } });
      },
      { behavior: "immediate" },
    );
    return render(c, { notice: c.get("t").settings.logoSaved });
  });
  app.post("/logo/remove", allow(adminOnly), (c) => {
    const actor = c.get("viewer")!.personId;
    deps.db.transaction(
      (tx) => {
        removeLogo(tx);
        recordAudit(tx, deps.vault, { actor, action: "settings.logo", details: { removed: true } });
      },
      { behavior: "immediate" },
    );
    return render(c, { notice: c.get("t").settings.logoRemoved });
  });
  return app;
}
