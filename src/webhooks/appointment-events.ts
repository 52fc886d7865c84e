// The appointment events, as booking emits them: one call per changed appointment, inside booking's transaction.
import type { Queryable } from "../db/client.ts";
import type { Vault } from "../vault/vault.ts";
import { emitEvent } from "./emit.ts";
import { type AppointmentFacts, appointmentData, type WebhookEventType } from "./events.ts";
import { clientDetailsFor } from "./personal.ts";

type AppointmentEvent = Extract<WebhookEventType, `appointment.${string}`>;

/** `extra`: what this event adds (the previous start of a move, who cancelled). `withClient: false` after erasure. */
export function emitAppointmentEvent(
  tx: Queryable,
  vault: Vault,
  type: AppointmentEvent,
  a: AppointmentFacts,
  at: number,
  o: { extra?: Record<string, unknown>; withClient?: boolean } = {},
): number {
  return emitEvent(tx, vault, {
    type,
    subject: a.clientId,
    data: appointmentData(a, o.extra),
    at,
    personal: o.withClient === false ? undefined : clientDetailsFor(tx, vault, a.clientId),
  });
}
