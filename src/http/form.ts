import type { Context } from "hono";
import { z } from "zod";
import { type FormProblem, type Messages, problem } from "../i18n/messages.ts";
import { AppError } from "./app-error.ts";
import type { AppEnv } from "./env.ts";

/** The text fields of a submitted form; files and repeated names are ignored. Malformed bodies are a 400. */
export async function readForm(c: Context<AppEnv>): Promise<Record<string, string>> {
  let body: Record<string, unknown>;
  try {
    body = await c.req.parseBody();
  } catch {
    throw new AppError(400, c.get("t").errors.badRequestTitle);
  }
  return Object.fromEntries(Object.entries(body).filter((e): e is [string, string] => typeof e[1] === "string"));
}

/**
 * Maps zod's issues to one translated message per field (the first problem of each): a `problem(...)` key from the
 * catalogue, or one of the form's own keys translated by `own`; anything else (zod's own English) reads "not valid".
 */
export function fieldErrors<Own extends string = never>(error: z.ZodError, t: Messages, own?: Readonly<Record<Own, string>>): Record<string, string> {
  const out: Record<string, string> = {};
  const owned: Readonly<Record<string, string>> = own ?? {};
  for (const issue of error.issues) {
    const field = String(issue.path[0] ?? "");
    if (out[field]) continue;
    const key = issue.message as FormProblem;
    out[field] = owned[issue.message] ?? (Object.hasOwn(t.form, key) && typeof t.form[key] === "string" ? t.form[key] : t.form.invalid);
  }
  return out;
}

export const nameSchema = z.string().trim().min(1, problem("required")).max(120, problem("tooLong"));
export const emailSchema = z.string().trim().min(1, problem("required")).max(254, problem("tooLong")).pipe(z.email(problem("email")));
/** A password as typed into a form: only required here; its strength is the account rules' to judge. */
export const passwordFieldSchema = z.string().min(1, problem("required"));
