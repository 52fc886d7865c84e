// The booking domain's input: every form and query value its routes read, checked here by zod before a service sees
// it. Message keys are catalogue keys (`problem`), or this domain's own (`BookingProblem`) that the routes translate.
import { z } from "zod";
import { emailSchema, nameSchema } from "../http/form.ts";
import { type Locale, type Messages, problem } from "../i18n/messages.ts";
import { isTimeZone } from "../settings/settings.ts";
import { MAX_SERIES } from "./appointments.ts";
import { parseExceptions, parseIntervals, WEEKDAYS, type Weekday } from "./hours.ts";
import { CURRENCIES } from "./services.ts";
import type { Availability, Interval } from "./slots.ts";

/** Messages of this domain's checks, beyond the catalogue's form messages: each route maps them to its wording. */
export type BookingProblem = "durationRange" | "price" | "paymentNeedsPrice" | "seriesCount" | "noticeRange" | "horizonRange" | "hoursFormat" | "hoursOrder" | "hoursOverlap" | "exceptionFormat";
const own = (key: BookingProblem): BookingProblem => key;

/** The wording of each of this domain's own check messages, for `fieldErrors`. */
export function bookingProblems(t: Messages): Record<BookingProblem, string> {
  const p = t.booking.problems;
  return {
    durationRange: t.booking.services.durationRange,
    price: t.booking.services.priceHint,
    paymentNeedsPrice: t.booking.services.paymentNeedsPrice,
    seriesCount: p.wholeRange(2, MAX_SERIES),
    noticeRange: p.wholeRange(0, 720),
    horizonRange: p.wholeRange(1, 730),
    hoursFormat: p.hoursFormat,
    hoursOrder: p.hoursOrder,
    hoursOverlap: p.hoursOverlap,
    exceptionFormat: p.exceptionFormat,
  };
}

// ── query values ──

const daySchema = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/)
  .transform((text, ctx) => {
    try {
      return Temporal.PlainDate.from(text, { overflow: "reject" });
    } catch {
      ctx.addIssue({ code: "custom", message: problem("invalid") });
      return z.NEVER;
    }
  });

/** A calendar day as `YYYY-MM-DD`; anything else (missing, impossible, out of range) is the fallback. */
export function parseDay(text: string | undefined, fallback: Temporal.PlainDate): Temporal.PlainDate {
  const parsed = daySchema.safeParse(text);
  return parsed.success ? parsed.data : fallback;
}

/** An instant in epoch milliseconds, as the slot links carry it (12 to 14 digits: the years 2001 to 5138). */
export const instantSchema = z.string().regex(/^\d{12,14}$/).transform(Number);

export function parseInstant(text: string | undefined): number | null {
  const parsed = instantSchema.safeParse(text);
  return parsed.success ? parsed.data : null;
}

/** A zone the runtime knows, or undefined. */
export function parseZone(text: string | undefined): string | undefined {
  return text && isTimeZone(text) ? text : undefined;
}

// ── booking and rescheduling ──

/** The chosen slot a booking or a move form carries (hidden fields); a bad one is a bad request, not a field error. */
export const slotFormSchema = z.object({
  start: instantSchema,
  specialist: z.string().default(""),
  tz: z.string().optional().transform(parseZone),
});

/** Staff choose the client by email (or, from scripts and tests, by id). */
export const clientChoiceSchema = z.object({
  client: z.string().optional(),
  clientEmail: z.string().default("").transform((s) => s.trim()),
});

/** A series: every 1 or 2 weeks, 2 to MAX_SERIES sessions in all; no `repeat` is a single appointment (null). */
export const seriesSchema = z
  .object({ repeat: z.string().optional(), count: z.string().optional() })
  .transform((f, ctx) => {
    if (f.repeat !== "1" && f.repeat !== "2") return null;
    const count = /^\d{1,2}$/.test(f.count ?? "") ? Number(f.count) : Number.NaN;
    if (!(count >= 2 && count <= MAX_SERIES)) {
      ctx.addIssue({ code: "custom", path: ["count"], message: own("seriesCount") });
      return z.NEVER;
    }
    return { everyWeeks: Number(f.repeat) as 1 | 2, count };
  });

export const newClientSchema = z.object({ newName: nameSchema, newEmail: emailSchema });

export const cancelFormSchema = z.object({
  reason: z
    .string()
    .default("")
    .transform((s) => s.slice(0, 2000)),
  series: z
    .string()
    .optional()
    .transform((s) => s === "on"),
});

// ── the schedule ──

export const scheduleViewSchema = z.enum(["day", "week"]).catch("day");

// ── services (admins) ──

const minutes = (max: number) => z.coerce.number({ error: problem("number") }).int(problem("number")).min(0, problem("number")).max(max, problem("tooLarge"));
const durationRange = own("durationRange");

const requiredName = z.string().trim().min(1, problem("required")).max(120, problem("tooLong"));
const optionalName = z.string().trim().max(120, problem("tooLong")).default("");

/**
 * The service form, as submitted: specialists arrive as `specialist:<id>=on` checkboxes. Only the name in the
 * organisation's language is required; the other reads the same when left empty (services.ts).
 */
export const serviceSchema = (orgLanguage: Locale) => z
  .object({
    nameEn: orgLanguage === "en" ? requiredName : optionalName,
    nameRu: orgLanguage === "ru" ? requiredName : optionalName,
    descriptionEn: z.string().trim().max(2000, problem("tooLong")).default(""),
    descriptionRu: z.string().trim().max(2000, problem("tooLong")).default(""),
    durationMinutes: z.coerce.number({ error: durationRange }).int(durationRange).min(5, durationRange).max(480, durationRange),
    bufferBeforeMinutes: minutes(240),
    bufferAfterMinutes: minutes(240),
    mode: z.enum(["online", "in-person"], { error: problem("invalid") }),
    price: z
      .string()
      .trim()
      .regex(/^(\d{1,9}([.,]\d{1,2})?)?$/, own("price"))
      .default(""),
    currency: z.enum(CURRENCIES, { error: problem("invalid") }),
    cancelHours: minutes(720),
    paymentMode: z.enum(["none", "at-booking", "after"], { error: problem("invalid") }).default("none"),
    active: z.boolean(),
    specialistIds: z.array(z.string()),
  })
  .refine((v) => v.paymentMode === "none" || v.price !== "", { path: ["paymentMode"], message: own("paymentNeedsPrice") })
  .transform(({ price, ...rest }) => ({ ...rest, priceMinor: price === "" ? null : Math.round(Number(price.replace(",", ".")) * 100) }));

/** A service as saved; `paymentMode` left out keeps the service's current one ("none" for a new service). */
export type ServiceInput = Omit<z.output<ReturnType<typeof serviceSchema>>, "paymentMode"> & { paymentMode?: PaymentMode };
export type PaymentMode = "none" | "at-booking" | "after";

export function formToServiceInput(form: Record<string, string>): z.input<ReturnType<typeof serviceSchema>> {
  const specialistIds = Object.keys(form)
    .filter((k) => k.startsWith("specialist:"))
    .map((k) => k.slice("specialist:".length));
  return { ...form, active: form.active === "on", specialistIds } as z.input<ReturnType<typeof serviceSchema>>;
}

// ── working hours ──

const intervalsSchema = z
  .string()
  .default("")
  .transform((text, ctx): Interval[] => {
    const parsed = parseIntervals(text);
    if (parsed.ok) return parsed.value;
    ctx.addIssue({ code: "custom", message: own(parsed.problem) });
    return z.NEVER;
  });

const wholeIn = (min: number, max: number, key: BookingProblem) =>
  z
    .string()
    .default("")
    .transform((s) => s.trim())
    .pipe(z.string().regex(/^\d{1,6}$/, key).transform(Number).pipe(z.number().min(min, key).max(max, key)));

/** The hours form: `day1`…`day7` ("09:00-12:00, 13:00-17:00"), `exceptions` (one a line), zone, notice and horizon. */
export const availabilitySchema = z
  .object({
    ...(Object.fromEntries(WEEKDAYS.map((d) => [`day${d}`, intervalsSchema])) as Record<`day${Weekday}`, typeof intervalsSchema>),
    exceptions: z
      .string()
      .default("")
      .transform((text, ctx): Availability["exceptions"] => {
        const parsed = parseExceptions(text);
        if (parsed.ok) return parsed.value;
        ctx.addIssue({ code: "custom", message: own(parsed.problem) });
        return z.NEVER;
      }),
    timeZone: z.string().default("").refine(isTimeZone, problem("invalid")),
    noticeHours: wholeIn(0, 24 * 30, "noticeRange"),
    horizonDays: wholeIn(1, 730, "horizonRange"),
  })
  .transform((f): Availability => {
    const weekly: Partial<Record<Weekday, readonly Interval[]>> = {};
    for (const d of WEEKDAYS) if (f[`day${d}`].length) weekly[d] = f[`day${d}`];
    return { timeZone: f.timeZone, weekly, exceptions: f.exceptions, minNoticeMinutes: f.noticeHours * 60, horizonDays: f.horizonDays };
  });
