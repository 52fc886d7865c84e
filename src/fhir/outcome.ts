// How the FHIR view answers: resources as application/fhir+json, and every error as an OperationOutcome with the
// status FHIR's RESTful API gives it (400 unparseable or invalid, 401, 403, 404 unknown, 405 not supported, 409 a
// conflict, 410 erased, 422 a business rule, 429, 500). The token checks of src/api/auth.ts answer in problem
// details; `answerInOutcomes` turns those, and any failure a handler throws, into OperationOutcomes, so the FHIR view
// shares the API's authentication without copying it.
import type { OperationOutcome, OperationOutcomeIssue, Resource } from "@medplum/fhirtypes";
import type { Context, MiddlewareHandler } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { AppError } from "../http/app-error.ts";

export const FHIR_JSON = "application/fhir+json";

export type IssueCode = OperationOutcomeIssue["code"];

/** A FHIR resource as the response body. */
export function fhirJson(c: Context, status: ContentfulStatusCode, resource: Resource, headers: Record<string, string> = {}): Response {
  return c.body(JSON.stringify(resource), status, { ...headers, "content-type": FHIR_JSON });
}

export function outcomeOf(issues: { code: IssueCode; text: string; expression?: string[]; severity?: "error" | "fatal" | "warning" }[]): OperationOutcome {
  return {
    resourceType: "OperationOutcome",
    issue: issues.map((i) => ({ severity: i.severity ?? "error", code: i.code, details: { text: i.text }, ...(i.expression ? { expression: i.expression } : {}) })),
  };
}

/** An error answer with one issue. */
export function outcome(c: Context, status: ContentfulStatusCode, code: IssueCode, text: string, expression?: string[]): Response {
  return fhirJson(c, status, outcomeOf([{ code, text, expression }]));
}

/** The issue code FHIR pairs with each HTTP status. */
const CODE_OF_STATUS: Record<number, IssueCode> = {
  400: "invalid",
  401: "login",
  403: "forbidden",
  404: "not-found",
  405: "not-supported",
  409: "conflict",
  410: "deleted",
  413: "too-costly",
  415: "not-supported",
  422: "business-rule",
  429: "throttled",
  503: "transient",
};

/** Problem details (the token checks) and thrown failures become OperationOutcomes; headers stay (WWW-Authenticate, Retry-After). */
export function answerInOutcomes(): MiddlewareHandler {
  return async (c, next) => {
    await next();
    const res = c.res;
    const thrown = c.error;
    const isProblem = res.headers.get("content-type")?.startsWith("application/problem+json");
    if (!thrown && !isProblem) return;
    let text: string;
    if (thrown) {
      // The app's error handler has logged the cause; the public message of an expected failure is safe to show.
      text = thrown instanceof AppError && thrown.status < 500 ? thrown.publicMessage : `The server failed to answer this request (reference ${c.get("requestId") ?? "unknown"}); it has been logged.`;
    } else {
      const body = (await res.clone().json().catch(() => ({}))) as { detail?: unknown };
      text = typeof body.detail === "string" ? body.detail : "The request was refused.";
    }
    const headers = new Headers(res.headers);
    headers.set("content-type", FHIR_JSON);
    headers.delete("content-length");
    const code = CODE_OF_STATUS[res.status] ?? (res.status >= 500 ? "exception" : "processing");
    c.res = undefined; // replace, not merge: Hono would copy the old response's headers over the new one
    c.res = new Response(JSON.stringify(outcomeOf([{ code, text, severity: res.status >= 500 ? "fatal" : "error" }])), { status: res.status, headers });
  };
}
