// One place turns failures into responses: a page for browsers, a fragment for htmx, JSON under /api.
// The public message is all anyone sees; the cause goes to the log with the request id that the page shows.
import type { Context, ErrorHandler, NotFoundHandler } from "hono";
import { HTTPException } from "hono/http-exception";
import type { Logger } from "../log.ts";
import { ErrorPage } from "../views/error-page.tsx";
import { AppError } from "./app-error.ts";
import type { AppEnv } from "./env.ts";
import { pageContext } from "./page.ts";

export function notFound(): NotFoundHandler<AppEnv> {
  return (c) => {
    const t = c.get("t");
    return respond(c, 404, t.errors.notFoundTitle, t.errors.notFoundText);
  };
}

export function onError(log: Logger): ErrorHandler<AppEnv> {
  return (err, c) => {
    const t = c.get("t");
    const requestId = c.get("requestId");
    if (err instanceof AppError && err.status < 500) {
      return respond(c, err.status, err.publicMessage, err.publicMessage);
    }
    if (err instanceof HTTPException && err.status < 500) {
      return respond(c, err.status, t.errors.badRequestTitle, t.errors.badRequestTitle);
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

export function respond(c: Context<AppEnv>, status: number, title: string, text: string, requestId?: string): Response | Promise<Response> {
  const code = status as 400;
  if (c.req.path.startsWith("/api/")) return c.json({ error: text, ...(requestId ? { requestId } : {}) }, code);
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
