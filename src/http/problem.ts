// Errors of the API as RFC 9457 problem details: a JSON object with the HTTP status, a short title that names the
// kind of problem, and a detail that says what to change. Extension members carry field errors and the request id.
import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";

export interface Problem {
  /** A URI naming the kind of problem; "about:blank" means the status says it all. */
  type?: string;
  title?: string;
  detail: string;
  /** Field errors of a request body or query, by path ("start", "items.0.email"). */
  errors?: { path: string; message: string }[];
  requestId?: string;
  [extension: string]: unknown;
}

const TITLES: Record<number, string> = {
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  405: "Method Not Allowed",
  409: "Conflict",
  410: "Gone",
  412: "Precondition Failed",
  413: "Content Too Large",
  415: "Unsupported Media Type",
  422: "Unprocessable Content",
  428: "Precondition Required",
  429: "Too Many Requests",
  500: "Internal Server Error",
  503: "Service Unavailable",
};

export function problemBody(status: number, p: Problem): Record<string, unknown> {
  return { type: p.type ?? "about:blank", title: p.title ?? TITLES[status] ?? "Error", status, ...p };
}

export function problem(c: Context, status: number, p: Problem, headers: Record<string, string> = {}): Response {
  return c.body(JSON.stringify(problemBody(status, p)), status as ContentfulStatusCode, { ...headers, "content-type": "application/problem+json" });
}
