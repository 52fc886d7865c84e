// Organisation settings. Admins only; every change is audited.
import { Hono } from "hono";
import type { AccountDeps } from "../accounts/sign-in.ts";
import { recordAudit } from "../audit/audit.ts";
import { adminOnly, allow } from "../http/access.ts";
import type { AppEnv } from "../http/env.ts";
import { fieldErrors, readForm } from "../http/form.ts";
import { pageContext } from "../http/page.ts";
import { getSettings, saveSettings, settingsSchema } from "../settings/settings.ts";
import { SettingsPage } from "./views/settings-page.tsx";


export function settingsRoutes(deps: AccountDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.get("/", allow(adminOnly), (c) => c.html(<SettingsPage page={pageContext(c)} settings={getSettings(deps.db)!} />));
  app.post("/", allow(adminOnly), async (c) => {
    const form = await readForm(c);
    const parsed = settingsSchema.safeParse({ ...form, selfRegistration: form.selfRegistration === "on" });
    if (!parsed.success) {
      const errors = fieldErrors(parsed.error, c.get("t"));
      return c.html(<SettingsPage page={pageContext(c)} settings={getSettings(deps.db)!} errors={errors} />, 422);
    }
    const actor = c.get("viewer")!.personId;
    deps.db.transaction(
      (tx) => {
        saveSettings(tx, parsed.data);
        recordAudit(tx, deps.vault, {
          actor,
          action: "settings.change",
          details: { clientTwoFactor: parsed.data.clientTwoFactor, selfRegistration: parsed.data.selfRegistration, language: parsed.data.language, reminderHours: parsed.data.reminderHours.join(","), mailDetails: parsed.data.mailDetails },
        });
      },
      { behavior: "immediate" },
    );
    return c.html(<SettingsPage page={pageContext(c)} settings={parsed.data} notice={c.get("t").people.saved} />);
  });
  return app;
}
