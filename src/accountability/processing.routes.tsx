// The record of processing activities: a page, and the same record as a Markdown file to keep or send. Admins only.
import { Hono } from "hono";
import type { Context } from "hono";
import { adminOnly, allow } from "../http/access.ts";
import type { AppEnv } from "../http/env.ts";
import { pageContext } from "../http/page.ts";
import { dateTimeFormat } from "../i18n/format.ts";
import type { Installation } from "../installation.ts";
import { getRetentionPolicy } from "../retention/policy.ts";
import { getSettings } from "../settings/settings.ts";
import { processingDocument, processingMarkdown } from "./processing-document.ts";
import { ProcessingPage } from "./views/processing-page.tsx";

export function processingRoutes(deps: Pick<Installation, "db" | "vault">): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const generated = (c: Context<AppEnv>) => dateTimeFormat(pageContext(c), getSettings(deps.db)?.timeZone ?? "UTC").format(c.get("now"));

  app.get("/", allow(adminOnly), (c) => c.html(<ProcessingPage page={pageContext(c)} doc={processingDocument(deps, c.get("t"), getRetentionPolicy(deps.db))} generated={generated(c)} />));

  app.get("/record.md", allow(adminOnly), (c) => {
    const day = new Date(c.get("now")).toISOString().slice(0, 10);
    c.header("content-type", "text/markdown; charset=utf-8");
    c.header("content-disposition", `attachment; filename="processing-record-${day}.md"`);
    return c.body(processingMarkdown(processingDocument(deps, c.get("t"), getRetentionPolicy(deps.db)), c.get("t"), generated(c)));
  });

  return app;
}
