// The HTTP application: middleware in order, then every route mount in one readable list.
import { Hono } from "hono";
import { getCookie } from "hono/cookie";
import { homeRoutes } from "./home/home.routes.tsx";
import { assetRoutes } from "./http/assets.ts";
import type { AppEnv } from "./http/env.ts";
import { notFound, onError, respond } from "./http/errors.tsx";
import { crossSiteReason, securityHeaders } from "./http/security.ts";
import { LANG_COOKIE, langRoutes } from "./i18n/lang.routes.ts";
import { LOCALES, negotiateLocale } from "./i18n/messages.ts";
import type { Installation } from "./installation.ts";
import { healthRoutes } from "./ops/health.routes.ts";
import { wsCheckRoutes } from "./ops/ws-check.routes.ts";

export type App = Hono<AppEnv>;

export function createApp(deps: Installation): App {
  const { config, db, log } = deps;
  const origin = config.publicUrl.origin;
  const app = new Hono<AppEnv>();

  // ── every request: id, language, headers, log line ──
  app.use(async (c, next) => {
    const started = performance.now();
    c.set("requestId", crypto.randomUUID());
    const locale = negotiateLocale(getCookie(c, LANG_COOKIE), c.req.header("accept-language"));
    c.set("locale", locale);
    c.set("t", LOCALES[locale]);
    await next();
    c.header("content-language", locale);
    c.header("vary", "Accept-Language, Cookie", { append: true });
    // The route pattern, never the URL: paths and queries may carry tokens or names.
    log.info("request", {
      requestId: c.get("requestId"),
      method: c.req.method,
      route: c.req.routePath,
      status: c.res.status,
      ms: Math.round((performance.now() - started) * 10) / 10,
    });
  });
  app.use(securityHeaders(config.publicUrl));
  app.use(async (c, next) => {
    const reason = crossSiteReason(c.req.method, c.req.raw.headers, origin);
    if (reason) {
      log.warn("cross-site request refused", { requestId: c.get("requestId"), route: c.req.path.split("/")[1] ?? "", reason });
      return respond(c, 403, c.get("t").errors.forbiddenTitle, c.get("t").errors.csrfText);
    }
    await next();
  });
  app.notFound(notFound());
  app.onError(onError(log));

  // ── routes ──
  app.route("/", healthRoutes(db)); //           anyone: /livez /readyz
  app.route("/assets", assetRoutes()); //        anyone: embedded css and js
  app.route("/lang", langRoutes(config.publicUrl.protocol === "https:")); // anyone: language preference
  app.route("/ws/check", wsCheckRoutes(origin)); // anyone: proxy WebSocket check
  app.route("/", homeRoutes()); //               anyone: start page

  return app;
}

