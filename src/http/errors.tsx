// One place turns failures into responses: a page for browsers, a fragment for htmx, JSON under /api.
// The public message is all anyone sees; the cause goes to the log with the request id that the page shows.
import type { Context, ErrorHandler, NotFoundHandler } from "hono";
import { HTTPException } from "hono/http-exception";
import type { Logger } from "../log.ts";
import { explainStorageFull } from "../ops/failures.ts";
import { ErrorPage } from "../views/error-page.tsx";
import { AppError } from "./app-error.ts";
import type { AppEnv } from "./env.ts";
import { problem } from "./problem.ts";
import { pageContext } from "./page.ts";

export function notFound(): NotFoundHandler<AppEnv> {
  return (c) => {
    const t = c.get("t");
    if (c.req.path.startsWith("/api/")) return problem(c, 404, { detail: "No API route at this address and method. The routes are listed in /api/v1/openapi.json." });
    return respond(c, 404, t.errors.notFoundTitle, t.errors.notFoundText);
  };
}

/** How long a client is asked to wait when the data disk is full: long enough for an admin to free space. */
const STORAGE_FULL_RETRY_SECONDS = 60;

export function onError(log: Logger, dataDir: string): ErrorHandler<AppEnv> {
  return (err, c) => {
    const t = c.get("t");
    const requestId = c.get("requestId");
    if (err instanceof AppError && err.status < 500) {
      return respond(c, err.status, err.publicMessage, err.publicMessage);
    }
    if (err instanceof HTTPException && err.status < 500) {
      if (c.req.path.startsWith("/api/")) return explainToIntegration(c, err);
      return respond(c, err.status, t.errors.badRequestTitle, t.errors.badRequestTitle);
    }
    // A full disk is the operator's to fix, not a bug: SQLite rolled the write back, reads still work, and the same
    // request succeeds once there is room. Say so to both, without a stack trace.
    const full = explainStorageFull(err, dataDir);
    if (full) {
      log.error("the data disk is full: writes are refused until space is freed", { requestId, route: c.req.routePath, method: c.req.method, cause: full });
      c.header("retry-after", String(STORAGE_FULL_RETRY_SECONDS));
      return respond(c, 503, t.errors.storageFullTitle, t.errors.storageFullText);
    }
    log.error("request failed", {
      requestId,
      route: c.req.routePath,
      method: c.req.method,
      error: err.name,
      cause: err instanceof AppError ? String((err.cause as Error | undefined)?.stack ?? err.cause) : err.stack,
    });
    const status = err instanceof AppError ? err.status : 500;
    return respond(c, status, t.errors.serverTitle, t.errors.serverText, requestId);
  };
}

/**
 * What the framework refused before a handler ran, said so that an integration's developer can fix it: the JSON
 * parser's own words for a body that is not JSON, the Content-Type to send for a body of another type.
 */
async function explainToIntegration(c: Context<AppEnv>, err: HTTPException): Promise<Response> {
  if (err.status === 415) {
    const sent = c.req.header("content-type");
    return problem(c, 415, { detail: `Send the body as JSON, with the header Content-Type: application/json (this request's Content-Type: ${sent ? JSON.stringify(sent) : "none"}).` });
  }
  if (err.status === 400 && /json/i.test(err.message)) {
    let why = "it could not be read";
    try {
      JSON.parse(await c.req.text());
    } catch (parseError) {
      why = (parseError as Error).message;
    }
    return problem(c, 400, { detail: `The body is not valid JSON: ${why}.` });
  }
  return problem(c, err.status, { detail: err.message || c.get("t").errors.badRequestTitle });
}

export function respond(c: Context<AppEnv>, status: number, title: string, text: string, requestId?: string): Response | Promise<Response> {
  const code = status as 400;
  if (c.req.path.startsWith("/api/")) return problem(c, status, { detail: text, ...(requestId ? { requestId } : {}) });
  if (c.req.header("hx-request")) {
    return c.html(
      <div role="alert" class="kb-error">
        <strong>{title}</strong> {text}
        {requestId ? <span class="kb-ref"> {requestId}</span> : null}
      </div>,
      code,
    );
  }
  return c.html(<ErrorPage page={pageContext(c)} title={title} text={text} requestId={requestId} />, code);
}
