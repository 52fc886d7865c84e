// A client's name and email for the endpoints an admin allowed personal data. Nothing for an erased client, nor for
// one whose processing is restricted (GDPR art. 18: their data is only stored, not sent anywhere).
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
