// The admin's consent page (/admin/consent): per purpose its texts in both languages and their versions with how many
// consent now; for "processing", whether registration asks. Every save is audited; a changed text becomes a new
// version (consent.ts).
import type { Context } from "hono";
import { Hono } from "hono";
import { adminOnly, allow } from "../http/access.ts";
import type { AppEnv } from "../http/env.ts";
import { fieldErrors, readForm } from "../http/form.ts";
import { pageContext } from "../http/page.ts";
import type { Installation } from "../installation.ts";
import { getSettings } from "../settings/settings.ts";
import { CONSENT_PURPOSES, type ConsentPurpose, consentHistory, consentRequiredSetting, consentTextSchema, isConsentPurpose, saveConsentText } from "./consent.ts";
import { ConsentAdminPage, type PurposeSection } from "./views/consent-views.tsx";

const textOf = (v: string | undefined): string => (v ?? "").replace(/\r\n/g, "\n");

export function consentRoutes(deps: Pick<Installation, "db" | "vault" | "clock">): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const render = (c: Context<AppEnv>, o: { edited?: PurposeSection; notice?: string } = {}) => {
    const sections = CONSENT_PURPOSES.map((purpose): PurposeSection => {
      if (o.edited?.purpose === purpose) return o.edited;
      const history = consentHistory(deps.db, purpose);
      const current = history[0];
      const required = purpose === "processing" ? consentRequiredSetting(deps.db) : undefined;
      return { purpose, history, values: { textEn: current?.text.en ?? "", textRu: current?.text.ru ?? "", required } };
    });
    return c.html(<ConsentAdminPage page={pageContext(c)} sections={sections} timeZone={getSettings(deps.db)?.timeZone ?? "UTC"} notice={o.notice} />, o.edited?.errors ? 422 : 200);
  };

  app.get("/", allow(adminOnly), (c) => render(c));

  app.post("/:purpose", allow(adminOnly), async (c) => {
    const t = c.get("t");
    const purpose = c.req.param("purpose");
    if (!isConsentPurpose(purpose)) return c.notFound();
    const form = await readForm(c);
    const input = { textEn: textOf(form.textEn), textRu: textOf(form.textRu), required: purpose === "processing" ? form.required === "on" : undefined };
    const parsed = consentTextSchema.safeParse(input);
    if (!parsed.success) {
      const values = { textEn: input.textEn, textRu: input.textRu, required: input.required };
      return render(c, { edited: { purpose: purpose as ConsentPurpose, history: consentHistory(deps.db, purpose), values, errors: fieldErrors(parsed.error, t) } });
    }
    const saved = saveConsentText(deps.db, deps.vault, purpose, parsed.data, c.get("viewer")!.personId, c.get("now"));
    return render(c, { notice: saved.newVersion ? t.consent.savedVersion(saved.version!) : t.consent.saved });
  });

  return app;
}
