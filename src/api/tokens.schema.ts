// The form that creates an API token (/account/api-tokens, /admin/api-tokens): a name, the ticked scopes (one
// checkbox per scope, named `scope.<scope>`), an expiry from a short list, and (admins only) a rate limit.
import { z } from "zod";
import { problem } from "../i18n/messages.ts";
import { type Scope, isScope } from "./scopes.ts";
import { DEFAULT_RATE_PER_MINUTE, MAX_RATE_PER_MINUTE, TOKEN_NAME_MAX } from "./tokens.ts";

export const EXPIRY_DAYS = [30, 90, 180, 365] as const;
export const DEFAULT_EXPIRY_DAYS = 90;

/** What was typed, to show the form again as it was sent. */
export interface TokenFormValues {
  name: string;
  scopes: string[];
  days: string;
  rate: string;
}

/** The form's own problems beside the catalogue's (translated by the view). */
export type TokenFormProblem = "chooseScope" | "scopeNotAllowed" | "expiryInvalid" | "rateInvalid";

export type TokenFormErrors = Partial<Record<"name" | "scopes" | "days" | "rate", string>>;

export const EMPTY_TOKEN_FORM: TokenFormValues = { name: "", scopes: [], days: String(DEFAULT_EXPIRY_DAYS), rate: String(DEFAULT_RATE_PER_MINUTE) };

const tokenFormSchema = z.object({
  name: z.string().trim().min(1, problem("required")).max(TOKEN_NAME_MAX, problem("tooLong")),
  scopes: z.array(z.string()).min(1, "chooseScope").refine((s) => s.every(isScope), "chooseScope"),
  days: z.enum(EXPIRY_DAYS.map(String) as [string, ...string[]], "expiryInvalid").transform(Number),
  rate: z.string().regex(/^\d{1,5}$/, "rateInvalid").transform(Number).refine((n) => n >= 1 && n <= MAX_RATE_PER_MINUTE, "rateInvalid"),
});

export type TokenForm = { ok: true; name: string; scopes: Scope[]; days: number; ratePerMinute: number } | { ok: false; issues: z.ZodError };

/** The values of a submitted form; the rate is read only where the form offers it (admins). */
export function tokenFormValues(form: Record<string, string>, options: { withRate: boolean }): TokenFormValues {
  return {
    name: form.name ?? "",
    scopes: Object.keys(form)
      .filter((k) => k.startsWith("scope."))
      .map((k) => k.slice("scope.".length)),
    days: form.days ?? "",
    rate: options.withRate ? (form.rate ?? "").trim() : String(DEFAULT_RATE_PER_MINUTE),
  };
}

export function parseTokenForm(values: TokenFormValues): TokenForm {
  const parsed = tokenFormSchema.safeParse(values);
  if (!parsed.success) return { ok: false, issues: parsed.error };
  return { ok: true, name: parsed.data.name, scopes: parsed.data.scopes as Scope[], days: parsed.data.days, ratePerMinute: parsed.data.rate };
}
