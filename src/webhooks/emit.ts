// Emitting an event: one delivery row per enabled endpoint subscribed to it, and one job to send each, written in the
// transaction of the change that caused the event. So an event exists exactly when its change does: none is lost
// (the job survives restarts) and none is sent for a change that rolled back.
//
// Personal data: the payload names the client (`data.client`: name and email) only for endpoints an admin allowed
// it, and only while the client's processing is not restricted; such a payload is sealed under the client's own key,
// so erasing the client shreds it (the log keeps its status codes). Every other payload is sealed under the
// organisation's key.
import { randomBytes } from "node:crypto";
import type { Queryable } from "../db/client.ts";
import { enqueue } from "../jobs/queue.ts";
import { ORG_SUBJECT, type Vault } from "../vault/vault.ts";
import type { DeliveredEventType } from "./events.ts";
import * as store from "./webhooks.store.ts";

/** The job kind that sends one delivery (deliver.ts). */
export const WEBHOOK_JOB = "webhook";

export interface ClientDetails {
  name: string;
  email: string;
}

export interface WebhookEvent {
  type: DeliveredEventType;
  /** The client the event is about (their id), or ORG_SUBJECT when it is about no one. */
  subject: string;
  data: Record<string, unknown>;
  at: number;
  /** The client's name and email, asked only when an endpoint is allowed personal data; null when unavailable. */
  personal?: () => ClientDetails | null;
}

/** Queues the event for every enabled endpoint subscribed to it, in the caller's transaction; how many. */
export function emitEvent(tx: Queryable, vault: Vault, event: WebhookEvent): number {
  const endpoints = store.enabledEndpointRows(tx).filter((e) => (JSON.parse(e.events) as string[]).includes(event.type));
  for (const e of endpoints) queueDelivery(tx, vault, e, event);
  return endpoints.length;
}

/** One delivery of an event to one endpoint (a test event goes this way alone); the delivery's id. */
export function queueDelivery(tx: Queryable, vault: Vault, endpoint: store.EndpointRow, event: WebhookEvent): string {
  const id = `msg_${randomBytes(18).toString("base64url")}`;
  let personal: ClientDetails | null = null;
  if (endpoint.personalData && event.subject !== ORG_SUBJECT && event.personal) personal = event.personal();
  const subject = personal ? event.subject : ORG_SUBJECT;
  const body = { type: event.type, timestamp: new Date(event.at).toISOString(), data: personal ? { ...event.data, client: personal } : event.data };
  store.insertDeliveryRow(tx, {
    id,
    endpointId: endpoint.id,
    eventType: event.type,
    subject,
    payload: Buffer.from(vault.sealField(subject, "webhook_deliveries", "payload", id, JSON.stringify(body))),
    status: "pending",
    attempts: 0,
    lastAttemptAt: null,
    lastStatus: null,
    lastError: null,
    createdAt: event.at,
    deliveredAt: null,
  });
  queueDeliveryJob(tx, vault, id, event.at, `webhook:${id}`);
  return id;
}

/** The job that sends a delivery; a replay queues another under a new key. Its payload is only the delivery's id. */
export function queueDeliveryJob(tx: Queryable, vault: Vault, deliveryId: string, now: number, dedupeKey: string): boolean {
  return enqueue(tx, vault, { kind: WEBHOOK_JOB, dedupeKey, subject: ORG_SUBJECT, payload: { deliveryId }, runAt: now }, now);
}
