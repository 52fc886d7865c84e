// The organisation's settings: name, language, time zone, and its account policies. No personal data.
import { z } from "zod";
import type { Queryable } from "../db/client.ts";
import type { Locale } from "../i18n/messages.ts";
import * as store from "./settings.store.ts";

export interface OrgSettings {
  name: string;
  language: Locale;
  timeZone: string;
  /** Whether clients must use two-factor; staff always must. */
  clientTwoFactor: "optional" | "required";
  selfRegistration: boolean;
}

const KEYS = ["org.name", "org.language", "org.timeZone", "org.clientTwoFactor", "org.selfRegistration"] as const;
const TIME_ZONES = new Set(Intl.supportedValuesOf("timeZone"));

export function isTimeZone(value: string): boolean {
  return TIME_ZONES.has(value) || value === "UTC";
}

export const settingsSchema = z.object({
  name: z.string().trim().min(1, "required").max(120, "too-long"),
  language: z.enum(["en", "ru"], { error: "invalid" }),
  timeZone: z.string().refine(isTimeZone, "invalid"),
  clientTwoFactor: z.enum(["optional", "required"], { error: "invalid" }),
  selfRegistration: z.boolean(),
});

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
  };
}

export function saveSettings(tx: Queryable, s: OrgSettings): void {
  store.writeMeta(tx, {
    "org.name": s.name,
    "org.language": s.language,
    "org.timeZone": s.timeZone,
    "org.clientTwoFactor": s.clientTwoFactor,
    "org.selfRegistration": String(s.selfRegistration),
  });
}
