// A client's name and email for the endpoints an admin allowed personal data. Nothing for an erased client, nor for
// one whose processing is restricted (GDPR art. 18: their data is only stored, not sent anywhere).
//
// Asked twice: when the event is queued (emit.ts), and again at every attempt to send it (deliver.ts), because a
// retry or a replay may come hours or days later, after the admin turned the endpoint's personal data off or the
// client's processing was restricted or erased. The payload sealed at the event is sent then without `data.client`.
import type { Queryable } from "../db/client.ts";
import { getPerson } from "../people/people.ts";
import { isProcessingRestricted } from "../retention/holds.ts";
import type { Vault } from "../vault/vault.ts";
import type { ClientDetails } from "./emit.ts";

export function clientDetailsFor(db: Queryable, vault: Vault, clientId: string): () => ClientDetails | null {
  return () => {
    if (isProcessingRestricted(db, clientId)) return null;
    const person = getPerson({ db, vault }, clientId);
    return person && !person.erased && person.role === "client" ? { name: person.name, email: person.email } : null;
  };
}

/** Whether the client may be named to a receiver now: not erased, processing not restricted. */
export function mayNameClient(db: Queryable, vault: Vault, clientId: string): boolean {
  return clientDetailsFor(db, vault, clientId)() !== null;
}

/** The payload as it may go out now: `data.client` dropped unless the endpoint allows personal data today and the client may be named. */
export function withdrawClientUnlessAllowed(db: Queryable, vault: Vault, o: { payload: string; subject: string; endpointAllowsPersonalData: boolean }): string {
  const body = JSON.parse(o.payload) as { data?: Record<string, unknown> };
  if (!body.data || !("client" in body.data)) return o.payload;
  if (o.endpointAllowsPersonalData && mayNameClient(db, vault, o.subject)) return o.payload;
  const { client: _dropped, ...data } = body.data;
  return JSON.stringify({ ...body, data });
}
