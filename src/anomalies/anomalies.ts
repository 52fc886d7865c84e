// Anomaly alerts from the audit trail: the scan that raises them, and what admins read and acknowledge.
//
// Protects: the organisation's awareness of misuse (a colleague browsing many clients' records, exports, admin changes
// at night, password guessing). Invariants: the scan reads every audit entry once, in order (from the last day's at
// its very first run), after a cursor kept in the database and moved in the same transaction as the alerts it raises,
// so a crash or restart neither skips nor repeats an entry; an alert is raised once per rule, subject and window
// (rules.ts), so rescanning raises nothing twice; the scan runs in slices of about 50 ms, so a backlog never holds
// requests for seconds. Alerts hold ids only; names are opened here, for the admin who reads them. Mail to admins,
// when the setting is on, is queued in the same transaction as the alert.
// Known limit: the rules see only what the audit log records. A specialist reading their own clients' appointments is
// not recorded (it is their work), so bulk-record-reads watches reads of other people's records (admins, staff).
// Working hours are read when the scan runs (every minute), not kept per entry: a change of hours applies to entries
// not yet scanned.
import type { AccountDeps } from "../accounts/sign-in.ts";
import { appointmentOfRoom, getAppointment } from "../booking/appointments.ts";
import { type AuditEntry, readAuditAfter, recordAudit, searchAudit } from "../audit/audit.ts";
import type { Queryable } from "../db/client.ts";
import type { Installation } from "../installation.ts";
import { personName, readingOf } from "../people/people.ts";
import { getSettings, type OrgHours, DEFAULT_ORG_HOURS } from "../settings/settings.ts";
import { queueAlertMails, queueBreakGlassMails } from "./anomaly-mail.ts";
import * as store from "./anomalies.store.ts";
import {
  ANOMALY_RULES,
  type AnomalyRule,
  BREAK_GLASS_ACTION,
  countInWindow,
  isAdminAction,
  isExport,
  isOutsideHours,
  isRecordRead,
  nextStep,
  RULE_LIMITS,
  SIGNIN_FAILURE_ACTION,
  type WindowEvent,
} from "./rules.ts";

export { ANOMALY_RULES, type AnomalyRule } from "./rules.ts";

export type AnomalyDeps = AccountDeps;

/**
 * Entries per scan transaction: keeps each write lock short, and a slice close to its time limit. Measured with 20,000
 * entries over a day: 100 take about 25 ms; packed into half an hour (every window full), about 75 ms.
 */
const SCAN_BATCH = 100;
/**
 * How long one call scans before handing the thread back (to requests, on the server's one thread): a backlog (a lost
 * cursor, a day of entries at the first scan after an upgrade) is finished over several calls instead of holding
 * requests for seconds (measured: 5–7 s for 20,000 entries in one go; in slices, 64 ms median and 100 ms at most).
 */
export const SCAN_SLICE_MS = 50;
/**
 * The very first scan (an installation upgraded to this version) starts at the log's last day: alerts about last
 * year's behaviour would only bury the admins (and their mailboxes), and reading the years before would take long.
 */
const FIRST_SCAN_LOOKBACK_MS = 24 * 3600_000;

/** What one entry means to one rule: whose alert it would be, and what it counts. */
interface Watch {
  rule: AnomalyRule;
  subject: string;
  key: string;
}

interface ScanContext {
  db: Queryable;
  hours: OrgHours;
  timeZone: string;
  /** Whose record each read entry was, by entry id: a batch's entries are read again as part of the windows. */
  readers: Map<number, string>;
  /** Whether each actor counts as an admin, by actor, once per batch. */
  admins: Map<string, boolean>;
}

export interface ScanResult {
  scanned: number;
  raised: number;
  /** The slice's time ran out with entries left: call again (scanAuditInSlices does). */
  more: boolean;
}

/**
 * Runs every rule over the audit entries written since the last scan, batch after batch, until none is left or
 * `sliceMs` has passed (at least one batch per call). `sliceMs: Infinity` scans to the end in one call.
 */
export function scanAuditForAnomalies(deps: AnomalyDeps, options: { sliceMs?: number } = {}): ScanResult {
  const sliceMs = options.sliceMs ?? SCAN_SLICE_MS;
  const began = performance.now();
  startAtLookback(deps);
  let scanned = 0;
  let raised = 0;
  for (;;) {
    const batch = scanBatch(deps);
    scanned += batch.scanned;
    raised += batch.raised;
    if (batch.scanned < SCAN_BATCH) return { scanned, raised, more: false };
    if (performance.now() - began >= sliceMs) return { scanned, raised, more: true };
  }
}

/**
 * Scans to the end of the log in slices, letting timers and requests run between them: what the server's timer
 * calls. Two of these at once (a slow slice meeting the next minute's timer) are safe: each batch reads and moves
 * the cursor in one immediate transaction, so no entry is scanned twice.
 */
export async function scanAuditInSlices(deps: AnomalyDeps, options: { sliceMs?: number } = {}): Promise<Omit<ScanResult, "more">> {
  let scanned = 0;
  let raised = 0;
  for (;;) {
    const slice = scanAuditForAnomalies(deps, options);
    scanned += slice.scanned;
    raised += slice.raised;
    if (!slice.more) return { scanned, raised };
    await new Promise((resolve) => setTimeout(resolve, 0));
  }
}

/**
 * Before the very first scan, puts the cursor at the newest entry older than the lookback. Entries are written in
 * time order, so those after it are the last day's; the older ones are never read.
 */
function startAtLookback(deps: AnomalyDeps): void {
  if (store.readCursor(deps.db) !== null) return;
  deps.db.transaction(
    (tx) => {
      if (store.readCursor(tx) !== null) return;
      const older = searchAudit(tx, { to: deps.clock.now() - FIRST_SCAN_LOOKBACK_MS }, 1)[0];
      store.writeCursor(tx, older?.id ?? 0);
    },
    { behavior: "immediate" },
  );
}

/** Scans the next batch after the cursor and moves the cursor past it, in one transaction with the alerts it raises. */
function scanBatch(deps: AnomalyDeps): { scanned: number; raised: number } {
  return deps.db.transaction(
    (tx) => {
      const cursor = store.readCursor(tx) ?? 0;
      const entries = readAuditAfter(tx, cursor, SCAN_BATCH);
      if (entries.length === 0) return { scanned: 0, raised: 0 };
      const settings = getSettings(tx);
      const ctx: ScanContext = { db: tx, hours: settings?.workingHours ?? DEFAULT_ORG_HOURS, timeZone: settings?.timeZone ?? "UTC", readers: new Map(), admins: new Map() };
      const pending = entries.flatMap((entry) => watchesOf(ctx, entry).map((watch) => ({ entry, watch })));
      const windows = loadWindows(ctx, pending);
      let raised = 0;
      for (const { entry, watch } of pending) {
        const alertId = evaluate(deps, ctx, entry, watch, windows.get(groupKey(watch)) ?? []);
        if (alertId === null) continue;
        raised++;
        if (settings?.securityAlertMail) queueAlertMails(deps, tx, alertId);
      }
      store.writeCursor(tx, entries.at(-1)!.id);
      return { scanned: entries.length, raised };
    },
    { behavior: "immediate" },
  );
}

/** The rules an entry matters to. */
function watchesOf(ctx: ScanContext, e: AuditEntry): Watch[] {
  const watches: Watch[] = [];
  const at = e.at.getTime();
  const byPerson = e.actor !== "anonymous";
  if (byPerson && isRecordRead(e.action)) watches.push({ rule: "bulk-record-reads", subject: e.actor, key: clientOfRead(ctx, e) });
  if (byPerson && isExport(e.action)) watches.push({ rule: "export", subject: e.actor, key: String(e.id) });
  // An integration reading through an admin's API token at night is its schedule, not an admin at work: entries made
  // through a token (details.token) are left to the other rules (bulk reads, exports).
  const throughToken = typeof e.details.token === "string";
  if (!throughToken && isAdminAction(e.action) && isAdmin(ctx, e.actor) && isOutsideHours(at, ctx.hours, ctx.timeZone)) watches.push({ rule: "off-hours-admin", subject: e.actor, key: String(e.id) });
  if (byPerson && e.action === BREAK_GLASS_ACTION) watches.push({ rule: "break-glass", subject: e.actor, key: String(e.id) });
  if (e.action === SIGNIN_FAILURE_ACTION) {
    if (e.target) watches.push({ rule: "signin-failures-account", subject: e.target, key: String(e.id) });
    const tag = e.details.addressTag;
    if (typeof tag === "string" && tag) watches.push({ rule: "signin-failures-address", subject: tag, key: String(e.id) });
  }
  return watches;
}

/**
 * Whether an entry's actor is an admin: a person whose role is admin now (read when the scan runs, every minute, so
 * a role changed since the entry counts as changed), or "cli", the console (someone holding the data directory and
 * its key: an admin action at 3 am from there is as worth a look). "system" (the server finishing a key rotation at
 * start), "setup" and "self-registration" are nobody's choice at that hour, so they raise nothing.
 */
function isAdmin(ctx: ScanContext, actor: string): boolean {
  if (actor === "cli") return true;
  let admin = ctx.admins.get(actor);
  if (admin === undefined) {
    admin = readingOf(ctx.db, actor)?.role === "admin";
    ctx.admins.set(actor, admin);
  }
  return admin;
}

/** Whose record a read was: the appointment's or the room's client, the person read; else the record itself. */
function clientOfRead(ctx: ScanContext, e: AuditEntry): string {
  const known = ctx.readers.get(e.id);
  if (known !== undefined) return known;
  const client = resolveRead(ctx.db, e);
  ctx.readers.set(e.id, client);
  return client;
}

function resolveRead(db: Queryable, e: AuditEntry): string {
  const target = e.target ?? `entry:${e.id}`;
  if (e.action === "appointment.view") return getAppointment(db, target)?.clientId ?? `appointment:${target}`;
  if (e.action === "file.download" || e.action === "room.view") return appointmentOfRoom(db, target)?.clientId ?? `room:${target}`;
  return target;
}

/** Applies one rule at one entry, given the rule's events for the subject around it; the new alert's id when it raised one. */
function evaluate(deps: AnomalyDeps, ctx: ScanContext, e: AuditEntry, w: Watch, events: readonly WindowEvent[]): number | null {
  const at = e.at.getTime();
  const found = countInWindow(events, at, RULE_LIMITS[w.rule].windowMs);
  if (!found) return null;
  const raised = store.nearestAlertBefore(ctx.db, w.rule, w.subject, at);
  const step = nextStep({ rule: w.rule, subject: w.subject, at, firstAt: found.firstAt, count: found.count, action: e.action }, raised);
  if (step.kind === "update") store.growAlert(ctx.db, step.id, step.count, step.lastAt);
  if (step.kind !== "raise") return null;
  const row = store.insertAlert(ctx.db, {
    rule: w.rule,
    subject: w.subject,
    triggeredAt: at,
    firstAt: found.firstAt,
    lastAt: at,
    count: found.count,
    action: w.rule === "bulk-record-reads" || w.rule.startsWith("signin-") ? null : e.action,
    createdAt: deps.clock.now(),
  });
  return row?.id ?? null;
}

/** More entries than any window of a batch can hold at a practice's scale; a bound, not an expectation. */
const WINDOW_ENTRIES_MAX = 100_000;

const groupKey = (w: Pick<Watch, "rule" | "subject">) => `${w.rule}\0${w.subject}`;

/**
 * The events of every rule and subject the batch touches, over the batch's span plus the window before it: read once
 * per batch (the sign-in failures in one query, each person's entries in another), not once per entry.
 */
function loadWindows(ctx: ScanContext, pending: readonly { entry: AuditEntry; watch: Watch }[]): Map<string, WindowEvent[]> {
  const groups = new Map<string, WindowEvent[]>();
  const seen = new Set<number>();
  const add = (e: AuditEntry) => {
    if (seen.has(e.id)) return; // a second-factor failure is both a sign-in failure and the person's own entry
    seen.add(e.id);
    for (const w of watchesOf(ctx, e)) {
      const list = groups.get(groupKey(w)) ?? [];
      list.push({ at: e.at.getTime(), key: w.key });
      groups.set(groupKey(w), list);
    }
  };
  // Per source, the span its pending entries need: from the earliest minus the longest window of their rules.
  // A null source is the sign-in failures (their subject is an account or an address, not who wrote the entry).
  const spans = new Map<string | null, { from: number; to: number }>();
  for (const { entry, watch } of pending) {
    const source = watch.rule.startsWith("signin-") ? null : watch.subject;
    const at = entry.at.getTime();
    const span = spans.get(source) ?? { from: Infinity, to: -Infinity };
    spans.set(source, { from: Math.min(span.from, at - RULE_LIMITS[watch.rule].windowMs + 1), to: Math.max(span.to, at + 1) });
  }
  for (const [actor, span] of spans) {
    const filter = actor === null ? { actionPrefix: SIGNIN_FAILURE_ACTION, ...span } : { actor, ...span };
    for (const e of searchAudit(ctx.db, filter, WINDOW_ENTRIES_MAX)) add(e);
  }
  return groups;
}

// ── what admins read ──

export interface AlertView {
  id: number;
  rule: AnomalyRule;
  /** The person the alert is about (for the audit link), or null for an address or the system. */
  personId: string | null;
  /** Who, in words: the person's name, the system, or the address tag. */
  who: { kind: "person"; name: string } | { kind: "system" | "cli" | "unknown" } | { kind: "address"; tag: string };
  count: number;
  action: string | null;
  triggeredAt: number;
  firstAt: number;
  lastAt: number;
  acknowledged: { at: number; by: string } | null;
}

/** Open and acknowledged alerts, newest first, with the names an admin may see. */
export function listAlertsForAdmin(deps: Pick<Installation, "db" | "vault">, limit = 100): { open: AlertView[]; acknowledged: AlertView[] } {
  const view = (r: store.AlertRow): AlertView => ({
    id: r.id,
    rule: r.rule as AnomalyRule,
    personId: whoOf(deps, r).kind === "person" ? r.subject : null,
    who: whoOf(deps, r),
    count: r.count,
    action: r.action,
    triggeredAt: r.triggeredAt,
    firstAt: r.firstAt,
    lastAt: r.lastAt,
    acknowledged: r.acknowledgedAt === null ? null : { at: r.acknowledgedAt, by: (r.acknowledgedBy && personName(deps, r.acknowledgedBy)) ?? "—" },
  });
  return { open: store.listAlerts(deps.db, "open", limit).map(view), acknowledged: store.listAlerts(deps.db, "acknowledged", limit).map(view) };
}

function whoOf(deps: Pick<Installation, "db" | "vault">, r: store.AlertRow): AlertView["who"] {
  if (r.rule === "signin-failures-address") return { kind: "address", tag: r.subject };
  if (r.subject === "system" || r.subject === "cli") return { kind: r.subject };
  const name = personName(deps, r.subject);
  return name === null ? { kind: "unknown" } : { kind: "person", name };
}

export function countOpenAlerts(db: Queryable): number {
  return store.countOpen(db);
}

/** Marks an open alert acknowledged by this admin, audited; false if there is no such open alert. */
export function acknowledgeAlert(deps: Pick<Installation, "db" | "vault">, id: number, adminId: string, now: number): boolean {
  return deps.db.transaction(
    (tx) => {
      const alert = store.getAlert(tx, id);
      if (!alert || !store.acknowledge(tx, id, adminId, now)) return false;
      recordAudit(tx, deps.vault, { actor: adminId, action: "anomaly.acknowledge", target: String(id), details: { rule: alert.rule }, at: now });
      return true;
    },
    { behavior: "immediate" },
  );
}

/**
 * Alerts raised so far, by rule (every rule present, 0 when none): kabinet_anomalies_total{rule} reads it.
 * A count of rows, not of events since the process started: it survives restarts (no reset), but restoring an older
 * backup lowers it, which Prometheus reads as a counter reset, and increase() then counts the restored total as new,
 * so KabinetSecurityAnomaly (increase over 10 minutes) fires for each rule whose count the restore lowered. After a
 * restore, check Admin → Alerts (the restored alerts, nothing new) before acting on that alert.
 */
export function countAnomaliesByRule(db: Queryable): Record<string, number> {
  const counts: Record<string, number> = Object.fromEntries(ANOMALY_RULES.map((r) => [r, 0]));
  for (const { rule, n } of store.countByRule(db)) if (Object.hasOwn(counts, rule)) counts[rule] = n;
  return counts;
}

/**
 * Raises the alert for one break-glass grant at once, in the caller's transaction, instead of at the next scan (up to
 * a minute later), and queues the grant's mail to every active admin whatever the mail setting: every emergency read of
 * a record outside one's care is told at once, not only the first in an hour. One alert per grant (the rule's window
 * is one millisecond); two grants by one person in the same millisecond share one alert, its count grown, and each
 * still has its own mail. The mail names no person (anomaly-mail.ts). The scan, meeting the entry later, finds the
 * alert raised at its time and raises nothing twice.
 */
export function raiseBreakGlassAlert(deps: AnomalyDeps, tx: Queryable, grant: { id: string; actor: string }, at: number): void {
  const raised = store.nearestAlertBefore(tx, "break-glass", grant.actor, at);
  if (raised && raised.triggeredAt === at) store.growAlert(tx, raised.id, raised.count + 1, at);
  else store.insertAlert(tx, { rule: "break-glass", subject: grant.actor, triggeredAt: at, firstAt: at, lastAt: at, count: 1, action: BREAK_GLASS_ACTION, createdAt: deps.clock.now() });
  queueBreakGlassMails(deps, tx, grant.id, at);
}
