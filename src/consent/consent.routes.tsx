// The admin's consent page: whether registration asks for consent, and its text. Every save is audited; a changed
// text becomes a new version (consent.ts).
import type { Context } from "hono";
import { Hono } from "hono";
import { adminOnly, allow } from "../http/access.ts";
import type { AppEnv } from "../http/env.ts";
import { fieldErrors, readForm } from "../http/form.ts";
import { pageContext } from "../http/page.ts";
import type { Installation } from "../installation.ts";
import { getSettings } from "../settings/settings.ts";
import { consentHistory, consentPolicy, consentSettingsSchema, saveConsentSettings } from "./consent.ts";
import { ConsentAdminPage } from "./views/consent-views.tsx";

export function consentRoutes(deps: Pick<Installation, "db" | "vault" | "clock">): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const render = (c: Context<AppEnv>, extra: { text?: string; required?: boolean; errors?: Record<string, string>; notice?: string } = {}, status: 200 | 422 = 200) => {
    const policy = consentPolicy(deps.db);
    const history = consentHistory(deps.db);
    return c.html(
      <ConsentAdminPage
        page={pageContext(c)}
        required={extra.required ?? policy.required}
        text={extra.text ?? policy.current?.text ?? ""}
        history={history}
        timeZone={getSettings(deps.db)?.timeZone ?? "UTC"}
        errors={extra.errors}
        notice={extra.notice}
      />,
      status,
    );
  };

  app.get("/", allow(adminOnly), (c) => render(c));

  app.post("/", allow(adminOnly), async (c) => {
    const t = c.get("t");
    const form = await readForm(c);
    const parsed = consentSettingsSchema.safeParse({ required: form.required === "on", text: (form.text ?? "").replace(/\r\n/g, "\n") });
    if (!parsed.success) return render(c, { text: form.text ?? "", required: form.required === "on", errors: fieldErrors(parsed.error, t) }, 422);
    const saved = saveConsentSettings(deps.db, deps.vault, parsed.data, c.get("viewer")!.personId, c.get("now"));
    return render(c, { notice: saved.newVersion ? t.consent.savedVersion(saved.version!) : t.consent.saved });
  });

  return app;
}
