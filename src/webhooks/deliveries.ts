// The delivery log: every event sent to an endpoint, its outcome and each attempt's status code (or why none came),
// kept 30 days; and replay, which sends a logged delivery again with the same message id and payload (a receiver
// that already handled it recognises the id), less the client's name and email when they may no longer be sent
// (deliver.ts decides at each attempt).
import { recordAudit } from "../audit/audit.ts";
import type { Queryable } from "../db/client.ts";
import { queueDeliveryJob } from "./emit.ts";
import type { WebhookDeps } from "./endpoints.ts";
import { type DeliveryProblem, describeDeliveryProblem, readDeliveryProblem, type Stored } from "./reasons.ts";
import * as store from "./webhooks.store.ts";

/** Deliveries (with their attempts) are kept this long, then pruned by the server's housekeeping (src/server.ts). */
export const KEEP_DELIVERIES_MS = 30 * 86_400_000;

export interface WebhookAttempt {
  at: number;
  /** The receiver's HTTP status; null when none came (refused, timed out, not allowed). */
  status: number | null;
  error: string | null;
  ms: number;
}

export interface WebhookDelivery {
  id: string;
  endpointId: string;
  eventType: string;
  status: "pending" | "delivered" | "failed";
  attempts: number;
  lastAttemptAt: number | null;
  lastStatus: number | null;
  /** Why the last attempt failed, in English (the API). */
  lastError: string | null;
  /** The same as stored, for wording in the reader's language (reasons.ts). */
  lastProblem: Stored<DeliveryProblem> | null;
  createdAt: number;
  deliveredAt: number | null;
  /** Whether the payload names the client (sealed under their key). */
  personal: boolean;
}

/** Newest first, at most `limit`. */
export function listDeliveries(db: Queryable, endpointId: string, limit = 100): WebhookDelivery[] {
  return store.deliveryRowsOf(db, endpointId, limit).map(toDelivery);
}

export function getDelivery(db: Queryable, id: string): WebhookDelivery | null {
  const row = store.deliveryRow(db, id);
  return row ? toDelivery(row) : null;
}

export function listAttempts(db: Queryable, deliveryId: string): WebhookAttempt[] {
  return store.attemptRowsOf(db, deliveryId).map((a) => ({ at: a.at, status: a.status, error: a.error, ms: a.ms }));
}

export type ReplayResult = { ok: true; delivery: WebhookDelivery } | { ok: false; reason: "not-found" | "disabled" | "pending" };

/** Sends a logged delivery again: a fresh round of attempts, same message id and payload. */
export function replayDelivery(deps: WebhookDeps, endpointId: string, deliveryId: string, actor: string): ReplayResult {
  const now = deps.clock.now();
  return deps.db.transaction(
    (tx): ReplayResult => {
      const row = store.deliveryRow(tx, deliveryId);
      const endpoint = store.endpointRow(tx, endpointId);
      if (!row || !endpoint || row.endpointId !== endpointId) return { ok: false, reason: "not-found" };
      if (!endpoint.enabled) return { ok: false, reason: "disabled" };
      if (row.status === "pending") return { ok: false, reason: "pending" }; // its attempts are still running
      store.updateDeliveryRow(tx, deliveryId, { status: "pending", deliveredAt: null });
      queueDeliveryJob(tx, deps.vault, deliveryId, now, `webhook:${deliveryId}:replay:${now}`);
      recordAudit(tx, deps.vault, { at: now, actor, action: "webhook.replay", target: endpointId, details: { delivery: deliveryId } });
      return { ok: true, delivery: toDelivery({ ...row, status: "pending", deliveredAt: null }) };
    },
    { behavior: "immediate" },
  );
}

/** Removes deliveries older than KEEP_DELIVERIES_MS with their attempts and sealed payloads; how many. */
export function pruneDeliveries(db: Queryable, now: number): number {
  return store.deleteDeliveriesBefore(db, now - KEEP_DELIVERIES_MS);
}

function toDelivery(row: store.DeliveryRow): WebhookDelivery {
  const lastProblem = readDeliveryProblem(row.lastError);
  return {
    id: row.id,
    endpointId: row.endpointId,
    eventType: row.eventType,
    status: row.status,
    attempts: row.attempts,
    lastAttemptAt: row.lastAttemptAt,
    lastStatus: row.lastStatus,
    lastError: lastProblem && describeDeliveryProblem(lastProblem),
    lastProblem,
    createdAt: row.createdAt,
    deliveredAt: row.deliveredAt,
    personal: row.subject !== "org",
  };
}
