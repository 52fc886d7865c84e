// Every API read of personal data is audited like the page that shows it (the same action, so the who-read report
// and the anomaly rules find it), with the token's name added: an admin reading the trail sees which integration
// read, not only whose token it was. The actor is the token's owner (the person the token acts for).
import type { Context } from "hono";
import { type AuditDetails, recordAudit } from "../audit/audit.ts";
import type { Installation } from "../installation.ts";
import type { ApiEnv } from "./auth.ts";

export interface ApiRead {
  action: string;
  target?: string;
  details?: AuditDetails;
}

/** Records one read made with the request's token, in its own short transaction. */
export function auditApiRead(deps: Pick<Installation, "db" | "vault" | "clock">, c: Context<ApiEnv>, read: ApiRead): void {
  const { token } = c.get("holder");
  deps.db.transaction(
    (tx) => recordAudit(tx, deps.vault, { actor: token.personId, action: read.action, target: read.target, details: { ...read.details, ...tokenDetails(c) }, at: deps.clock.now() }),
    { behavior: "immediate" },
  );
}

/** The audit details naming the request's token, for services that record the read themselves. */
export function tokenDetails(c: Context<ApiEnv>): { token: string } {
  return { token: c.get("holder").token.name };
}
