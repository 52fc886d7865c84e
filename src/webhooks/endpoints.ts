// Webhook endpoints: where events go. Admins manage them (pages and the API's webhooks:manage scope); every change
// is audited in its own transaction.
//
// Protects: the signing secret ("whsec_" + 32 random bytes, the Standard Webhooks format) and the URL (which may
// carry a receiver's secret) are sealed under the organisation's key; the secret is shown once, at creation or
// rotation. A URL passes the SSRF guard (guard.ts) when saved, and again at every delivery.
// Known limit: rotating the secret takes effect at once (no overlap signing with both): the receiver must switch to
// the new secret when it is shown.
import { randomBytes } from "node:crypto";
import { recordAudit } from "../audit/audit.ts";
import type { Clock } from "../clock.ts";
import type { Queryable } from "../db/client.ts";
import { ORG_SUBJECT, type Vault } from "../vault/vault.ts";
import { queueDelivery } from "./emit.ts";
import { isWebhookEvent, TEST_EVENT, type WebhookEventType } from "./events.ts";
import { describeDisabledReason, type DisabledReason, readDisabledReason, type Stored, storeReason } from "./reasons.ts";
import { checkDestination, normaliseInternalHost, parseWebhookUrl, type Resolver, type UrlProblem } from "./guard.ts";
import * as store from "./webhooks.store.ts";

export interface WebhookDeps {
  db: Queryable;
  vault: Vault;
  clock: Clock;
  /** Tests may resolve names their own way; the system resolver otherwise. */
  resolve?: Resolver;
}

export interface WebhookEndpoint {
  id: string;
  url: string;
  events: WebhookEventType[];
  personalData: boolean;
  internalHost: string | null;
  enabled: boolean;
  disabledAt: number | null;
  /** Why it is disabled, in English (the API). */
  disabledReason: string | null;
  /** The same as stored, for wording in the reader's language (reasons.ts). */
  disabledBecause: Stored<DisabledReason> | null;
  createdBy: string;
  createdAt: number;
}

export interface EndpointInput {
  url: string;
  events: readonly string[];
  personalData: boolean;
  internalHost: string | null;
}

export type EndpointProblem =
  | { ok: false; reason: "url"; problem: UrlProblem }
  | { ok: false; reason: "events" }
  | { ok: false; reason: "internal-host" }
  | { ok: false; reason: "too-many" };

export const MAX_ENDPOINTS = 50;
const HOST = /^(?=.{1,253}$)([a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?)(\.[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?)*\.?$|^[0-9a-f:.]+$/;

export async function createEndpoint(deps: WebhookDeps, input: EndpointInput, actor: string): Promise<{ ok: true; endpoint: WebhookEndpoint; secret: string } | EndpointProblem> {
  if (store.endpointRows(deps.db).length >= MAX_ENDPOINTS) return { ok: false, reason: "too-many" };
  const checked = await checkInput(deps, input);
  if (!checked.ok) return checked;
  const now = deps.clock.now();
  const id = `whe_${randomBytes(12).toString("base64url")}`;
  const secret = newSecret();
  const row: store.EndpointRow = {
    id,
    url: seal(deps.vault, id, "url", checked.url),
    secret: seal(deps.vault, id, "secret", secret),
    events: JSON.stringify(checked.events),
    personalData: input.personalData,
    internalHost: checked.internalHost,
    enabled: true,
    disabledAt: null,
    disabledReason: null,
    createdBy: actor,
    createdAt: now,
  };
  deps.db.transaction(
    (tx) => {
      store.insertEndpointRow(tx, row);
      recordAudit(tx, deps.vault, { at: now, actor, action: "webhook.create", target: id, details: { events: checked.events.join(" "), personalData: input.personalData, internalHost: checked.internalHost } });
    },
    { behavior: "immediate" },
  );
  return { ok: true, endpoint: toEndpoint(deps.vault, row), secret };
}

export interface EndpointChange {
  url?: string;
  events?: readonly string[];
  personalData?: boolean;
  internalHost?: string | null;
  enabled?: boolean;
}

/** Changes what is given; the URL is checked again whenever it or the internal host changes. */
export async function updateEndpoint(deps: WebhookDeps, id: string, change: EndpointChange, actor: string): Promise<{ ok: true; endpoint: WebhookEndpoint } | { ok: false; reason: "not-found" } | EndpointProblem> {
  const current = getEndpoint(deps, id);
  if (!current) return { ok: false, reason: "not-found" };
  const input: EndpointInput = {
    url: change.url ?? current.url,
    events: change.events ?? current.events,
    personalData: change.personalData ?? current.personalData,
    internalHost: change.internalHost === undefined ? current.internalHost : change.internalHost,
  };
  const checked = await checkInput(deps, input, { recheckUrl: change.url !== undefined || change.internalHost !== undefined });
  if (!checked.ok) return checked;
  const now = deps.clock.now();
  const set: Partial<store.EndpointRow> = {
    url: seal(deps.vault, id, "url", checked.url),
    events: JSON.stringify(checked.events),
    personalData: input.personalData,
    internalHost: checked.internalHost,
  };
  if (change.enabled === true) Object.assign(set, { enabled: true, disabledAt: null, disabledReason: null });
  if (change.enabled === false && current.enabled) Object.assign(set, { enabled: false, disabledAt: now, disabledReason: storeReason({ code: "admin" }) });
  const changed = Object.keys(change).filter((k) => change[k as keyof EndpointChange] !== undefined);
  const ok = deps.db.transaction(
    (tx) => {
      if (!store.updateEndpointRow(tx, id, set)) return false;
      recordAudit(tx, deps.vault, { at: now, actor, action: "webhook.update", target: id, details: { changed: changed.join(" "), events: checked.events.join(" "), personalData: input.personalData, internalHost: checked.internalHost, enabled: set.enabled ?? current.enabled } });
      return true;
    },
    { behavior: "immediate" },
  );
  return ok ? { ok: true, endpoint: getEndpoint(deps, id)! } : { ok: false, reason: "not-found" };
}

export function setEndpointEnabled(deps: WebhookDeps, id: string, enabled: boolean, actor: string): boolean {
  const now = deps.clock.now();
  return deps.db.transaction(
    (tx) => {
      const row = store.endpointRow(tx, id);
      if (!row) return false;
      store.updateEndpointRow(tx, id, enabled ? { enabled: true, disabledAt: null, disabledReason: null } : { enabled: false, disabledAt: now, disabledReason: storeReason({ code: "admin" }) });
      recordAudit(tx, deps.vault, { at: now, actor, action: enabled ? "webhook.enable" : "webhook.disable", target: id });
      return true;
    },
    { behavior: "immediate" },
  );
}

/** The receiver answered 410 Gone: it wants no more. Disabled with the reason; admins see it and may enable again. */
export function disableGoneEndpoint(tx: Queryable, vault: Vault, id: string, at: number): void {
  if (!store.updateEndpointRow(tx, id, { enabled: false, disabledAt: at, disabledReason: storeReason({ code: "gone", at }) })) return;
  recordAudit(tx, vault, { at, actor: "system", action: "webhook.disable", target: id, details: { reason: "410 Gone" } });
}

export function deleteEndpoint(deps: WebhookDeps, id: string, actor: string): boolean {
  const now = deps.clock.now();
  return deps.db.transaction(
    (tx) => {
      if (!store.deleteEndpointRow(tx, id)) return false;
      recordAudit(tx, deps.vault, { at: now, actor, action: "webhook.delete", target: id });
      return true;
    },
    { behavior: "immediate" },
  );
}

/** A new signing secret, in force at once; shown once. Null when there is no such endpoint. */
export function rotateSecret(deps: WebhookDeps, id: string, actor: string): string | null {
  const secret = newSecret();
  const now = deps.clock.now();
  return deps.db.transaction(
    (tx) => {
      if (!store.updateEndpointRow(tx, id, { secret: seal(deps.vault, id, "secret", secret) })) return null;
      recordAudit(tx, deps.vault, { at: now, actor, action: "webhook.rotate-secret", target: id });
      return secret;
    },
    { behavior: "immediate" },
  );
}

/** Queues a `webhook.test` event to this endpoint alone; its delivery id, or why not. */
export function sendTestEvent(deps: WebhookDeps, id: string, actor: string): { ok: true; deliveryId: string } | { ok: false; reason: "not-found" | "disabled" } {
  const now = deps.clock.now();
  return deps.db.transaction(
    (tx) => {
      const row = store.endpointRow(tx, id);
      if (!row) return { ok: false as const, reason: "not-found" as const };
      if (!row.enabled) return { ok: false as const, reason: "disabled" as const };
      const deliveryId = queueDelivery(tx, deps.vault, row, { type: TEST_EVENT, subject: ORG_SUBJECT, data: { endpointId: id, message: "A test event from Kabinet." }, at: now });
      recordAudit(tx, deps.vault, { at: now, actor, action: "webhook.test", target: id, details: { delivery: deliveryId } });
      return { ok: true as const, deliveryId };
    },
    { behavior: "immediate" },
  );
}

export function listEndpoints(deps: Pick<WebhookDeps, "db" | "vault">): WebhookEndpoint[] {
  return store.endpointRows(deps.db).map((r) => toEndpoint(deps.vault, r));
}

export function getEndpoint(deps: Pick<WebhookDeps, "db" | "vault">, id: string): WebhookEndpoint | null {
  const row = store.endpointRow(deps.db, id);
  return row ? toEndpoint(deps.vault, row) : null;
}

/** The signing secret, for the delivery job only. */
export function endpointSecret(vault: Vault, row: store.EndpointRow): string {
  return vault.openField(ORG_SUBJECT, "webhook_endpoints", "secret", row.id, row.secret);
}

export function endpointUrl(vault: Vault, row: store.EndpointRow): string {
  return vault.openField(ORG_SUBJECT, "webhook_endpoints", "url", row.id, row.url);
}

async function checkInput(
  deps: WebhookDeps,
  input: EndpointInput,
  o: { recheckUrl: boolean } = { recheckUrl: true },
): Promise<{ ok: true; url: string; events: WebhookEventType[]; internalHost: string | null } | EndpointProblem> {
  const events = [...new Set(input.events)];
  if (events.length === 0 || !events.every(isWebhookEvent)) return { ok: false, reason: "events" };
  const internalHost = normaliseInternalHost(input.internalHost);
  if (internalHost !== null && !HOST.test(internalHost)) return { ok: false, reason: "internal-host" };
  const parsed = parseWebhookUrl(input.url);
  if (!parsed.ok) return { ok: false, reason: "url", problem: parsed.problem };
  if (o.recheckUrl) {
    const destination = await checkDestination(parsed.url, internalHost, deps.resolve);
    if (!destination.ok) return { ok: false, reason: "url", problem: destination.problem };
  }
  return { ok: true, url: parsed.url.toString(), events: events as WebhookEventType[], internalHost };
}

function newSecret(): string {
  return `whsec_${randomBytes(32).toString("base64")}`;
}

function seal(vault: Vault, id: string, column: "url" | "secret", value: string): Buffer {
  return Buffer.from(vault.sealField(ORG_SUBJECT, "webhook_endpoints", column, id, value));
}

function toEndpoint(vault: Vault, row: store.EndpointRow): WebhookEndpoint {
  const disabledBecause = readDisabledReason(row.disabledReason);
  return {
    id: row.id,
    url: endpointUrl(vault, row),
    events: (JSON.parse(row.events) as string[]).filter(isWebhookEvent),
    personalData: row.personalData,
    internalHost: row.internalHost,
    enabled: row.enabled,
    disabledAt: row.disabledAt,
    disabledReason: disabledBecause && describeDisabledReason(disabledBecause),
    disabledBecause,
    createdBy: row.createdBy,
    createdAt: row.createdAt,
  };
}
