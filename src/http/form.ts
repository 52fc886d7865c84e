import type { Context } from "hono";
import { z } from "zod";
import type { Messages } from "../i18n/messages.ts";
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

/** Maps zod's issues to one translated message per field (the first problem of each); `own` adds a form's own keys. */
export function fieldErrors(error: z.ZodError, t: Messages, own: Readonly<Record<string, string>> = {}): Record<string, string> {
  const out: Record<string, string> = {};
  for (const issue of error.issues) {
    const field = String(issue.path[0] ?? "");
    if (out[field]) continue;
    const key = issue.message as keyof Messages["form"];
    out[field] = own[issue.message] ?? (key in t.form && typeof t.form[key] === "string" ? (t.form[key] as string) : t.form.invalid);
  }
  return out;
}

export const nameSchema = z.string().trim().min(1, "required").max(120, "tooLong");
export const emailSchema = z.string().trim().min(1, "required").max(254, "tooLong").pipe(z.email("email"));
