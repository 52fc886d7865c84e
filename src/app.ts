// The HTTP application: middleware in order, then every route mount in one readable list.
import { Hono } from "hono";
import { getCookie } from "hono/cookie";
import { accountRoutes } from "./accounts/account.routes.tsx";
import { SetupGate } from "./accounts/setup.ts";
import { setupRoutes } from "./accounts/setup.routes.tsx";
import { registrationRoutes } from "./accounts/registration.routes.tsx";
import { signInRoutes } from "./accounts/sign-in.routes.tsx";
import { alertsRoutes } from "./admin/alerts.routes.tsx";
import { auditRoutes } from "./admin/audit.routes.tsx";
import { backupsRoutes } from "./admin/backups.routes.tsx";
import { webhooksRoutes } from "./webhooks/webhooks.routes.tsx";
import { mailQueueRoutes } from "./admin/mail-queue.routes.tsx";
import { mediaRoutes } from "./admin/media.routes.tsx";
import { peopleRoutes } from "./admin/people.routes.tsx";
import { erasureRoutes } from "./privacy/erasure.routes.tsx";
import { holdsRoutes } from "./retention/holds.routes.tsx";
import { retentionRoutes } from "./retention/retention.routes.tsx";
import { accountPrivacyRoutes } from "./privacy/requests-account.routes.tsx";
import { requestQueueRoutes } from "./privacy/requests-queue.routes.tsx";
import { adminHomeRoutes } from "./admin/admin-home.routes.tsx";
import { apiRoutes } from "./api/api.ts";
import { paymentsRoutes } from "./payments/payments.routes.tsx";
import { tokensAdminRoutes } from "./api/tokens-admin.routes.tsx";
import { tokensRoutes } from "./api/tokens.routes.tsx";
import { fhirRoutes } from "./fhir/fhir.routes.ts";
import { exportRoutes } from "./imports/exports.routes.tsx";
import { importRoutes } from "./imports/imports.routes.tsx";
import { settingsRoutes } from "./admin/settings.routes.tsx";
import { callAppointment } from "./booking/after-call.ts";
import { appointmentRoutes } from "./booking/appointments.routes.tsx";
import { bookRoutes } from "./booking/book.routes.tsx";
import { calendarRoutes } from "./booking/calendar.routes.tsx";
import { consentRoutes } from "./consent/consent.routes.tsx";
import { clientConsentsRoutes } from "./consent/client-consents.routes.tsx";
import { myConsentsRoutes } from "./consent/my-consents.routes.tsx";
import { hoursRoutes } from "./booking/hours.routes.tsx";
import { scheduleRoutes } from "./booking/schedule.routes.tsx";
import { servicesRoutes } from "./booking/services.routes.tsx";
import { homeRoutes } from "./home/home.routes.tsx";
import { limitRequestBodies } from "./http/body-limit.ts";
import { clientIp } from "./http/client-ip.ts";
import { assetRoutes } from "./http/assets.ts";
import type { AppEnv } from "./http/env.ts";
import { notFound, onError, respond } from "./http/errors.tsx";
import { crossSiteReason, noStoreByDefault, securityHeaders } from "./http/security.ts";
import { LANG_COOKIE, langRoutes } from "./i18n/lang.routes.ts";
import { LOCALES, negotiateLocale } from "./i18n/messages.ts";
import type { Installation } from "./installation.ts";
import { healthRoutes } from "./ops/health.routes.ts";
import type { Metrics } from "./ops/metrics.ts";
import { wsCheckRoutes } from "./ops/ws-check.routes.ts";
import { afterCallRoutes } from "./rooms/after-call.routes.tsx";
import { LiveRooms } from "./rooms/live-rooms.ts";
import { networkCheckRoutes } from "./rooms/network-check.routes.ts";
import { roomsRoutes } from "./rooms/rooms.routes.tsx";
import { notesRoutes } from "./records/notes.routes.tsx";
import { accountabilityRoutes } from "./accountability/accountability.routes.tsx";
import { breakGlassRoutes } from "./records/break-glass.routes.tsx";
import { clientsRoutes } from "./records/clients.routes.tsx";
import { supervisionsRoutes } from "./records/supervisions.routes.tsx";
import { sessionMiddleware } from "./sessions/session.middleware.ts";
import { logoRoutes } from "./settings/logo.routes.ts";
import { getOrgIdentity } from "./settings/settings.ts";
import { readingOf } from "./people/people.ts";
import { intakeFormRoutes } from "./intake/intake-forms.routes.tsx";
import { intakeRoutes } from "./intake/intake.routes.tsx";

/** Where files are uploaded (a file shared in a room, the organisation's logo, a CSV to import): the only bodies above FORM_BYTES. */
const UPLOADS = /^\/rooms\/[^/]+\/files$|^\/admin\/settings\/logo$|^\/admin\/imports\/(clients|specialists)$/;

/** Paths that work before first-run setup; everything else leads to /setup until an admin exists. */
const BEFORE_SETUP = /^\/(setup|livez|readyz|lang|assets\/|ws\/check)/;

export type App = Hono<AppEnv>;

export interface AppOptions {
  /** Where requests are counted for Prometheus (src/ops/metrics.ts); none: not counted. */
  metrics?: Metrics;
}

export function createApp(deps: Installation, options: AppOptions = {}): App {
  const { config, db, log } = deps;
  const origin = config.publicUrl.origin;
  const app = new Hono<AppEnv>();
  const setupGate = new SetupGate(db, log);
  const liveRooms = new LiveRooms(deps);
  const { metrics } = options;
  metrics?.watchCalls(() => liveRooms.callCounts());

  // ── every request: id, language, headers, log line ──
  app.use(async (c, next) => {
    const started = performance.now();
    c.set("requestId", crypto.randomUUID());
    c.set("now", deps.clock.now());
    c.set("publicUrl", config.publicUrl);
    const locale = negotiateLocale(getCookie(c, LANG_COOKIE), c.req.header("accept-language"));
    c.set("locale", locale);
    c.set("t", LOCALES[locale]);
    await next();
    c.header("content-language", locale);
    c.header("vary", "Accept-Language, Cookie", { append: true });
    const ms = performance.now() - started;
    // The route pattern, never the URL: paths and queries may carry tokens or names.
    log.info("request", {
      requestId: c.get("requestId"),
      method: c.req.method,
      route: c.req.routePath,
      status: c.res.status,
      ms: Math.round(ms * 10) / 10,
    });
    // "/*" is the pattern of the middleware: no route took the request (a 404, or turned away before any route).
    metrics?.observeRequest(c.req.method, c.req.routePath === "/*" ? "unmatched" : c.req.routePath, c.res.status, ms / 1000);
  });
  app.use(securityHeaders(config.publicUrl));
  app.use(noStoreByDefault());
  app.use(limitRequestBodies(UPLOADS)); // before anything reads a body
  app.use(async (c, next) => {
    const reason = crossSiteReason(c.req.method, c.req.raw.headers, origin);
    if (reason) {
      log.warn("cross-site request refused", { requestId: c.get("requestId"), route: c.req.path.split("/")[1] ?? "", reason });
      return respond(c, 403, c.get("t").errors.forbiddenTitle, c.get("t").errors.csrfText);
    }
    await next();
  });
  app.use(async (c, next) => {
    c.set("clientIp", clientIp(c, config.trustProxy));
    await next();
  });
  app.use(sessionMiddleware(deps));
  app.use(async (c, next) => {
    // Whose appliance this is and the viewer's clock, read when a page asks (health checks and assets never do).
    // The error page asks too, perhaps because the database failed: it then names Kabinet, on the language's clock.
    c.set("pageIdentity", () => {
      try {
        const viewer = c.get("viewer");
        return { org: getOrgIdentity(db), hourCycle: viewer ? (readingOf(db, viewer.personId)?.hourCycle ?? null) : null };
      } catch {
        return { org: null, hourCycle: null };
      }
    });
    await next();
  });
  app.use(async (c, next) => {
    if (!BEFORE_SETUP.test(c.req.path) && setupGate.isOpen) return c.redirect("/setup", 303);
    await next();
  });
  app.notFound(notFound());
  app.onError(onError(log, config.dataDir));

  // ── routes (each declares who may call it with allow(...); the access-matrix test checks every one) ──
  app.route("/", healthRoutes(deps)); //              /livez /readyz
  app.route("/assets", assetRoutes()); //             embedded css, js, icons
  app.route("/lang", langRoutes(config.publicUrl.protocol === "https:"));
  app.route("/ws/check", wsCheckRoutes(origin)); //   proxy WebSocket check
  app.route("/setup", setupRoutes(deps, setupGate)); // first run only
  app.route("/", signInRoutes(deps)); //              /signin /signout /link /welcome /reset-password
  app.route("/register", registrationRoutes(deps)); // a client's own account, proven by a code by mail
  app.route("/account/privacy", accountPrivacyRoutes(deps)); // a client's data download and requests about their data
  app.route("/account/api-tokens", tokensRoutes(deps)); // an admin's or specialist's own API tokens
  app.route("/account", accountRoutes(deps)); //      the viewer's own account
  app.route("/rooms", roomsRoutes(deps, liveRooms)); // consultation rooms and their signalling
  app.route("/rooms", networkCheckRoutes(deps)); //  the waiting room's check of the path to the media server
  app.route("/rooms", afterCallRoutes(deps, (roomId, viewer, locale, now) => callAppointment(deps, roomId, viewer, locale, now))); // /rooms/:id/after
  app.route("/book", bookRoutes(deps)); //           service → specialist → day → time → confirm
  app.route("/appointments", appointmentRoutes(deps, liveRooms));
  app.route("/schedule", scheduleRoutes(deps, liveRooms)); // the day and week of specialists
  app.route("/hours", hoursRoutes(deps)); //          working hours
  app.route("/calendar", calendarRoutes(deps)); //    private ICS feeds
  app.route("/clients", clientsRoutes(deps)); //     the client record: list, record, break-glass, consultation files
  app.route("/clients", notesRoutes(deps)); //       /clients/:clientId/notes: session notes, sealed under the client's key
  app.route("/admin/break-glass", breakGlassRoutes(deps)); // review of emergency access to records
  app.route("/admin/supervisions", supervisionsRoutes(deps)); // who supervises whom (shares their care)
  app.route("/admin", adminHomeRoutes(deps)); //      every admin page, grouped
  app.route("/admin/services", servicesRoutes(deps));
  // intake forms: built per service by admins, filled by the client of an appointment, read by its specialist
  app.route("/admin/services", intakeFormRoutes(deps)); // /admin/services/:id/intake
  app.route("/appointments", intakeRoutes(deps)); //     /appointments/:id/intake
  app.route("/admin/mail", mailQueueRoutes(deps));
  app.route("/admin/media", mediaRoutes(deps)); // media ports, TURN servers and the path check
  app.route("/admin/people", peopleRoutes(deps));
  app.route("/admin/people", erasureRoutes(deps));
  app.route("/admin/people", holdsRoutes(deps)); // legal holds on a client, restriction of processing
  app.route("/admin/retention", retentionRoutes(deps)); // retention periods per record type, the daily purge
  app.route("/admin/privacy/requests", requestQueueRoutes(deps)); // data-subject requests with their legal deadlines
  app.route("/admin/audit", auditRoutes(deps));
  app.route("/admin/alerts", alertsRoutes(deps)); // security alerts from the audit trail
  app.route("/admin/settings", settingsRoutes(deps));
  app.route("/admin/consent", consentRoutes(deps)); // consent texts per purpose and their versions
  app.route("/account/consents", myConsentsRoutes(deps)); // a client's own consents: give, withdraw, ledger CSV
  app.route("/consent/clients", clientConsentsRoutes(deps)); // one client's consent ledger for their care, paper forms
  app.route("/admin/backups", backupsRoutes(deps)); // sealed backups, restore drills
  app.route("/admin/imports", importRoutes(deps)); // CSV import of clients and specialists: upload, preview, import
  app.route("/admin/exports", exportRoutes(deps)); // appointments as CSV for accounting
  app.route("/admin/webhooks", webhooksRoutes(deps)); // signed event deliveries to integrations, their log and replay
  app.route("/admin/accountability", accountabilityRoutes(deps)); // who read a client's data, art. 30 record, incidents
  app.route("/org", logoRoutes(deps)); //                 the organisation's logo
  app.route("/payments", paymentsRoutes(deps)); //       a payment's page, the provider's checkout, refunds, provider notifications
  app.route("/admin/api-tokens", tokensAdminRoutes(deps)); // every API token of the organisation
  app.route("/api/v1", apiRoutes(deps)); //               the REST API: bearer tokens with scopes, OpenAPI document
  app.route("/fhir/R4", fhirRoutes(deps)); //             FHIR R4 view for clinic systems: the same tokens, OperationOutcomes
  app.route("/", homeRoutes(deps)); //                    start page

  return app;
}

