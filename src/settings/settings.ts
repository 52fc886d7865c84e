// The organisation's settings: name, language, time zone, and its account policies. No personal data.
import { z } from "zod";
import type { Queryable } from "../db/client.ts";
import { type Locale, problem } from "../i18n/messages.ts";
import { getLogo, LOGO_KEYS, logoUrl } from "./logo.ts";
import * as store from "./settings.store.ts";

export interface OrgSettings {
  name: string;
  language: Locale;
  timeZone: string;
  /** Whether clients must use two-factor; staff always must. */
  clientTwoFactor: "optional" | "required";
  selfRegistration: boolean;
  /** Hours before an appointment at which its client is reminded by mail, e.g. [24, 1]. */
  reminderHours: number[];
  /** What appointment mails say: time and specialist only, or also the service's name. */
  mailDetails: "minimal" | "service";
  /** Where in-person appointments take place (shown on bookings, in mails and calendar entries); "" if none. */
  address: string;
  /** Whether specialists are mailed about bookings others make with them; on unless turned off (absent: on). */
  mailSpecialists?: boolean;
  /**
   * Whether a browser that cannot encrypt media end to end may still join a consultation, which is then not end-to-end
   * encrypted for anyone in it. Off unless an admin turns it on (absent: off); optional only so first-run setup need
   * not name it.
   */
  unencryptedCalls?: boolean;
  /** When the organisation works, on its own clock: admin actions outside these hours raise an alert (src/anomalies). */
  workingHours?: OrgHours;
  /** Whether every active admin is mailed about each new security alert; off unless turned on (absent: off). */
  securityAlertMail?: boolean;
}

/** The organisation's working hours: ISO weekdays (1 = Monday … 7 = Sunday) and one daily span, from < to. */
export interface OrgHours {
  days: readonly number[];
  /** "HH:MM", inclusive. */
  from: string;
  /** "HH:MM", exclusive. */
  to: string;
}

export const DEFAULT_ORG_HOURS: OrgHours = { days: [1, 2, 3, 4, 5], from: "07:00", to: "20:00" };
const HOURS_KEY = "org.workingHours";
const SECURITY_MAIL_KEY = "org.securityAlertMail";

const UNENCRYPTED_CALLS_KEY = "org.unencryptedCalls";
const KEYS = ["org.name", "org.language", "org.timeZone", "org.clientTwoFactor", "org.selfRegistration", "org.reminderHours", "org.mailDetails", "org.address", "org.mailSpecialists", UNENCRYPTED_CALLS_KEY, HOURS_KEY, SECURITY_MAIL_KEY] as const;
export const DEFAULT_REMINDER_HOURS = [24, 1];
// Listing the zones takes ~12 ms, a tenth of start-up: done on first use instead.
let timeZones: Set<string> | null = null;

export function isTimeZone(value: string): boolean {
  timeZones ??= new Set(Intl.supportedValuesOf("timeZone"));
  return timeZones.has(value) || value === "UTC";
}

const TIME = /^([01]\d|2[0-3]):[0-5]\d$/;

export const settingsSchema = z.object({
  name: z.string().trim().min(1, problem("required")).max(120, problem("tooLong")),
  language: z.enum(["en", "ru"], { error: problem("invalid") }),
  timeZone: z.string().refine(isTimeZone, problem("invalid")),
  clientTwoFactor: z.enum(["optional", "required"], { error: problem("invalid") }),
  selfRegistration: z.boolean(),
  reminderHours: z
    .string()
    .trim()
    .regex(/^(\d{1,3}(\s*,\s*\d{1,3}){0,4})?$/, problem("reminderHours"))
    .transform((text) => [...new Set(text.split(",").filter((h) => h.trim()).map(Number))].filter((h) => h >= 1 && h <= 168).sort((a, b) => b - a)),
  mailDetails: z.enum(["minimal", "service"], { error: problem("invalid") }),
  address: z.string().trim().max(300, problem("tooLong")).default(""),
  mailSpecialists: z.boolean().default(true),
  // The checkbox as the form sends it: "on" or nothing. Any other value is refused rather than read as either answer,
  // since this one decides whether calls may go without end-to-end encryption.
  unencryptedCalls: z
    .literal("on", { error: problem("invalid") })
    .optional()
    .transform((v) => v === "on"),
  hoursDays: z.array(z.number().int().min(1).max(7)).min(1, problem("hoursDays")).default([...DEFAULT_ORG_HOURS.days]),
  hoursFrom: z.string().trim().regex(TIME, problem("time")).default(DEFAULT_ORG_HOURS.from),
  hoursTo: z.string().trim().regex(TIME, problem("time")).default(DEFAULT_ORG_HOURS.to),
  securityAlertMail: z
    .literal("on", { error: problem("invalid") })
    .optional()
    .transform((v) => v === "on"),
}).refine((s) => s.hoursFrom < s.hoursTo, { message: problem("hoursOrder"), path: ["hoursTo"] });

/**
 * The working hours as the settings form sends them: a checkbox per weekday (hoursDay1 = Monday … hoursDay7), hoursFrom
 * and hoursTo. A form without the hours fields (a script posting only what it changes) keeps the saved hours.
 */
export function workingHoursOfForm(form: Readonly<Record<string, string>>, saved: OrgSettings): { hoursDays: number[]; hoursFrom: string; hoursTo: string } {
  const hours = saved.workingHours ?? DEFAULT_ORG_HOURS;
  if (form.hoursFrom === undefined && form.hoursTo === undefined) return { hoursDays: [...hours.days], hoursFrom: hours.from, hoursTo: hours.to };
  return { hoursDays: [1, 2, 3, 4, 5, 6, 7].filter((d) => form[`hoursDay${d}`] === "on"), hoursFrom: form.hoursFrom ?? "", hoursTo: form.hoursTo ?? "" };
}

/** The settings a valid form names, the working hours gathered from their three fields. */
export function settingsOfForm(data: z.output<typeof settingsSchema>): OrgSettings {
  const { hoursDays, hoursFrom, hoursTo, ...rest } = data;
  return { ...rest, workingHours: { days: hoursDays, from: hoursFrom, to: hoursTo } };
}

/** The stored hours: "1,2,3,4,5 07:00-20:00"; the default when absent or unreadable. */
function parseHours(text: string | undefined): OrgHours {
  const m = /^([1-7](?:,[1-7])*) (\d\d:\d\d)-(\d\d:\d\d)$/.exec(text ?? "");
  return m ? { days: m[1]!.split(",").map(Number), from: m[2]!, to: m[3]! } : DEFAULT_ORG_HOURS;
}

/** Null until first-run setup has saved them. */
export function getSettings(db: Queryable): OrgSettings | null {
  const m = store.readMeta(db, KEYS);
  const name = m.get("org.name");
  if (name === undefined) return null;
  return {
    name,
    language: m.get("org.language") === "ru" ? "ru" : "en",
    timeZone: m.get("org.timeZone") ?? "UTC",
    clientTwoFactor: m.get("org.clientTwoFactor") === "required" ? "required" : "optional",
    selfRegistration: m.get("org.selfRegistration") === "true",
    reminderHours: m.has("org.reminderHours") ? m.get("org.reminderHours")!.split(",").filter(Boolean).map(Number) : DEFAULT_REMINDER_HOURS,
    mailDetails: m.get("org.mailDetails") === "service" ? "service" : "minimal",
    address: m.get("org.address") ?? "",
    mailSpecialists: m.get("org.mailSpecialists") !== "false",
    unencryptedCalls: m.get(UNENCRYPTED_CALLS_KEY) === "true",
    workingHours: parseHours(m.get(HOURS_KEY)),
    securityAlertMail: m.get(SECURITY_MAIL_KEY) === "true",
  };
}

export function saveSettings(tx: Queryable, s: OrgSettings): void {
  store.writeMeta(tx, {
    "org.name": s.name,
    "org.language": s.language,
    "org.timeZone": s.timeZone,
    "org.clientTwoFactor": s.clientTwoFactor,
    "org.selfRegistration": String(s.selfRegistration),
    "org.reminderHours": s.reminderHours.join(","),
    "org.mailDetails": s.mailDetails,
    "org.address": s.address,
    ...(s.mailSpecialists === undefined ? {} : { "org.mailSpecialists": String(s.mailSpecialists) }),
    ...(s.unencryptedCalls === undefined ? {} : { [UNENCRYPTED_CALLS_KEY]: String(s.unencryptedCalls) }),
    ...(s.workingHours === undefined ? {} : { [HOURS_KEY]: `${[...s.workingHours.days].sort().join(",")} ${s.workingHours.from}-${s.workingHours.to}` }),
    ...(s.securityAlertMail === undefined ? {} : { [SECURITY_MAIL_KEY]: String(s.securityAlertMail) }),
  });
}

/**
 * Whether a browser that cannot encrypt end to end may join a call unencrypted: the room asks this on every join,
 * so it reads the one key and nothing else. Anything but the stored "true" (no setup yet, no key) means no: refusing
 * is the safe answer.
 */
export function allowsUnencryptedCalls(db: Queryable): boolean {
  return store.readMeta(db, [UNENCRYPTED_CALLS_KEY]).get(UNENCRYPTED_CALLS_KEY) === "true";
}

/** The organisation as every page names it: its name and logo. Null before first-run setup. */
export function getOrgIdentity(db: Queryable): { name: string; logoUrl: string | null } | null {
  const m = store.readMeta(db, ["org.name", ...LOGO_KEYS]);
  const name = m.get("org.name");
  if (name === undefined) return null;
  const logo = getLogo(db, m);
  return { name, logoUrl: logo ? logoUrl(logo) : null };
}
