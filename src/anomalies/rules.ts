// The anomaly rules over the audit trail: which entries each rule watches, its limits, and the decisions, kept pure
// (no database, no clock) so they are tested apart from the scan that feeds them (anomalies.ts).
//
import type { OrgHours } from "../settings/settings.ts";

// Every limit is stated here, once. The windowed rules count within a sliding window ending at each new entry; the
// single-event rules (export, break-glass, off-hours-admin) fire on the entry itself. An alert is raised once per
// rule, subject and window: an entry inside the window of an alert already raised for the same rule and subject only
// updates that alert's count (see nextStep), so a rescan or a restart never raises it twice.

/** The rules, also the `rule` label values of kabinet_anomalies_total: a small fixed set. */
export const ANOMALY_RULES = ["bulk-record-reads", "export", "off-hours-admin", "signin-failures-account", "signin-failures-address", "break-glass"] as const;
export type AnomalyRule = (typeof ANOMALY_RULES)[number];

export const RULE_LIMITS = {
  /** One person reading this many distinct clients' records within the window. */
  "bulk-record-reads": { count: 20, windowMs: 10 * 60_000 },
  /** Any export; further exports by the same person within the window join the same alert. */
  export: { count: 1, windowMs: 60 * 60_000 },
  /** Any admin action by an admin outside the organisation's hours; one alert per admin per hour of such actions. */
  "off-hours-admin": { count: 1, windowMs: 60 * 60_000 },
  /** Failed sign-ins (password or second factor) against one account within the window (the throttle's window). */
  "signin-failures-account": { count: 10, windowMs: 15 * 60_000 },
  /**
   * Failed sign-ins from one client address, across accounts, within the window. The throttle stops one address at
   * 5 per account and 20 in all per 15 minutes, so 10 means it tried at least two accounts.
   */
  "signin-failures-address": { count: 10, windowMs: 15 * 60_000 },
  /**
   * Any break-glass access (an emergency read of a record outside one's own): one alert per grant, each told to the
   * admins at once (raiseBreakGlassAlert), so a window of one millisecond: only grants of the same instant share one.
   */
  "break-glass": { count: 1, windowMs: 1 },
} as const satisfies Record<AnomalyRule, { count: number; windowMs: number }>;

/** Reads of records about clients: the entries bulk-record-reads counts (by the client each one is about). */
export const RECORD_READ_ACTIONS = ["appointment.view", "person.view", "file.download", "room.view", "note.view", "intake.view", "record.view", "consent.view"] as const;

/**
 * Actions only an admin takes (through the admin pages or the console): what off-hours-admin watches, when an admin
 * (or "cli") took them (anomalies.ts checks who). Exact names, no prefixes: a prefix such as "invitation." also caught
 * invitation.accept, which the invitee records themself (a client setting their password at night is no anomaly).
 * Left out on purpose: backup.create (the schedule and cron-run console backups take it at night), the people's own
 * actions (consent.give, password.change) and automatic ones.
 */
export const ADMIN_ACTIONS = [
  "settings.change",
  "settings.logo",
  "people.list",
  "person.view",
  "person.create",
  "person.role",
  "person.deactivate",
  "person.reactivate",
  "invitation.create",
  "invitation.reissue",
  "keys.rotate",
  "two-factor.reset-by-admin",
  "password.reset-link",
  "consent.change",
  "anomaly.acknowledge",
  // Client records (src/records/care.ts): who shares whose care, and the review of emergency access.
  "supervision.add",
  "supervision.remove",
  "break-glass.list",
  "break-glass.review",
  // Integrations: who may act through the API, bulk imports of people.
  "api-token.create",
  "api-token.revoke",
  "people.import",
] as const;

export const SIGNIN_FAILURE_ACTION = "signin.failure";
export const BREAK_GLASS_ACTION = "record.break-glass";

export function isRecordRead(action: string): boolean {
  return (RECORD_READ_ACTIONS as readonly string[]).includes(action);
}

export function isAdminAction(action: string): boolean {
  return (ADMIN_ACTIONS as readonly string[]).includes(action);
}

/** Any `<thing>.export` action (exports arrive with issue 14; the rule is ready for them). */
export function isExport(action: string): boolean {
  return /^[a-z0-9-]+(\.[a-z0-9-]+)*\.export$/.test(action);
}

/** Whether the instant falls outside the hours, read on the organisation's clock (its time zone). */
export function isOutsideHours(at: number, hours: OrgHours, timeZone: string): boolean {
  const local = Temporal.Instant.fromEpochMilliseconds(at).toZonedDateTimeISO(timeZone);
  if (!hours.days.includes(local.dayOfWeek)) return true;
  const minute = local.hour * 60 + local.minute;
  return minute < minutesOf(hours.from) || minute >= minutesOf(hours.to);
}

function minutesOf(hhmm: string): number {
  const [h = "0", m = "0"] = hhmm.split(":");
  return Number(h) * 60 + Number(m);
}

/** One watched entry of a windowed rule: when, and what it counts (a client's id, an account, 1 per failure…). */
export interface WindowEvent {
  at: number;
  /** Events with the same key count once (distinct clients); failures use their own entry id. */
  key: string;
}

/** How many distinct keys fall in (end - windowMs, end], and the earliest time among them; null when none. */
export function countInWindow(events: readonly WindowEvent[], end: number, windowMs: number): { count: number; firstAt: number } | null {
  const inside = events.filter((e) => e.at > end - windowMs && e.at <= end);
  if (inside.length === 0) return null;
  return { count: new Set(inside.map((e) => e.key)).size, firstAt: Math.min(...inside.map((e) => e.at)) };
}

/** What the scan saw for one rule and subject at one entry: enough to fire, or not. */
export interface Detection {
  rule: AnomalyRule;
  subject: string;
  /** The entry's time. */
  at: number;
  firstAt: number;
  count: number;
  action: string | null;
}

/** The alert already raised for this rule and subject whose window is nearest, as the store keeps it. */
export interface RaisedAlert {
  id: number;
  triggeredAt: number;
  count: number;
  lastAt: number;
}

export type Step = { kind: "none" } | { kind: "raise" } | { kind: "update"; id: number; count: number; lastAt: number };

/**
 * What to do with a detection given the alert raised nearest before it for the same rule and subject: nothing below
 * the limit; inside that alert's window, grow it (count and last time only ever grow, so a rescan changes nothing);
 * otherwise raise a new alert.
 */
export function nextStep(d: Detection, raised: RaisedAlert | null): Step {
  const limit = RULE_LIMITS[d.rule];
  if (d.count < limit.count) return { kind: "none" };
  if (raised && d.at >= raised.triggeredAt && d.at < raised.triggeredAt + limit.windowMs) {
    const count = Math.max(raised.count, d.count);
    const lastAt = Math.max(raised.lastAt, d.at);
    return count === raised.count && lastAt === raised.lastAt ? { kind: "none" } : { kind: "update", id: raised.id, count, lastAt };
  }
  return { kind: "raise" };
}
