// FHIR's content negotiation (R4 http.html#mime-type): a client names the format it wants by `_format` or by
// `Accept`. This server speaks JSON only. Asked for XML or Turtle and nothing JSON can stand for, it answers 406 with
// an OperationOutcome saying so, rather than a 200 in a format the client did not ask for and may not parse.
import type { MiddlewareHandler } from "hono";
import { outcome } from "./outcome.ts";

/** What `_format` may say for JSON (FHIR's short name, the R4 and the older DSTU2 media types). */
const JSON_FORMATS = new Set(["json", "application/json", "application/fhir+json", "application/json+fhir"]);
/** Media ranges of an Accept header that JSON satisfies. */
const JSON_RANGES = new Set(["*/*", "application/*", ...JSON_FORMATS]);

/** `application/fhir+json; fhirVersion=4.0` → `application/fhir+json`. In a query a `+` arrives as a space. */
const mediaType = (value: string) => value.split(";")[0]!.trim().toLowerCase().replaceAll(" ", "+");

/** True when the Accept header is absent or names, with a weight above zero, something JSON satisfies. */
export function acceptsJson(accept: string | undefined): boolean {
  if (accept === undefined || accept.trim() === "") return true;
  return accept.split(",").some((range) => {
    const q = /;\s*q\s*=\s*([0-9.]+)/i.exec(range)?.[1];
    return JSON_RANGES.has(mediaType(range)) && (q === undefined || Number(q) > 0);
  });
}

export function refuseFormatsOtherThanJson(): MiddlewareHandler {
  return async (c, next) => {
    const format = c.req.queries("_format")?.at(-1);
    if (format !== undefined && !JSON_FORMATS.has(mediaType(format))) {
      return outcome(c, 406, "not-supported", `This server answers in JSON only: _format=${mediaType(format).slice(0, 60)} is not served. Omit _format, or send _format=json (application/fhir+json).`, ["_format"]);
    }
    if (!acceptsJson(c.req.header("accept"))) {
      return outcome(c, 406, "not-supported", "This server answers in JSON only (application/fhir+json), which the Accept header does not allow. Send Accept: application/fhir+json.");
    }
    await next();
  };
}
