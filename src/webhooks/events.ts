// The events an endpoint can subscribe to, and the shape every payload shares (the Standard Webhooks envelope:
// `type`, `timestamp`, `data`). Payloads are minimal: ids and times. A client's name and email are added as
// `data.client` only for endpoints an admin allowed personal data (see emit.ts).

export const WEBHOOK_EVENTS = [
  "appointment.booked",
  "appointment.moved",
  "appointment.cancelled",
  "appointment.held",
  "appointment.no-show",
  "client.created",
  "consultation.ended",
  "payment.changed",
] as const;

export type WebhookEventType = (typeof WEBHOOK_EVENTS)[number];

/** Sent by "Send a test event" to one endpoint, whatever it subscribes to. */
export const TEST_EVENT = "webhook.test";

export type DeliveredEventType = WebhookEventType | typeof TEST_EVENT;

export function isWebhookEvent(value: unknown): value is WebhookEventType {
  return typeof value === "string" && (WEBHOOK_EVENTS as readonly string[]).includes(value);
}

/** What an integration learns of an appointment: ids and times, nothing said or written. */
export interface AppointmentFacts {
  id: string;
  serviceId: string;
  specialistId: string;
  clientId: string;
  start: number;
  end: number;
  status: string;
  seriesId: string | null;
}

export function appointmentData(a: AppointmentFacts, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    appointmentId: a.id,
    serviceId: a.serviceId,
    specialistId: a.specialistId,
    clientId: a.clientId,
    start: new Date(a.start).toISOString(),
    end: new Date(a.end).toISOString(),
    status: a.status,
    seriesId: a.seriesId,
    ...extra,
  };
}
