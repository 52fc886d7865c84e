// The incident register (GDPR art. 33(5), 152-FZ art. 21): personal-data breaches, when they happened and were
// found, whose data, and who was notified when, with the legal deadlines (deadlines.ts).
//
// Protects: the evidence an authority asks for after a breach. Invariants: the title, the description and the list
// of affected people are sealed under the organisation key (a breach record may itself name people); affected people
// are kept by id, so an erased client stays counted and shows as erased; every change is audited with ids and counts
// only. Entries are corrected and closed, never deleted: the register is a record of what the organisation knew when.
import { recordAudit } from "../audit/audit.ts";
import type { Queryable } from "../db/client.ts";
import { getPerson } from "../people/people.ts";
import { ORG_SUBJECT, type Vault } from "../vault/vault.ts";
import * as store from "./incidents.store.ts";

export interface IncidentDeps {
  db: Queryable;
  vault: Vault;
}

export interface IncidentInput {
  title: string;
  description: string;
  /** People in Kabinet whose data was affected, by id. */
  affectedIds: readonly string[];
  /** Others affected who are not in Kabinet, in the organisation's words ("about 40 newsletter readers"). */
  others: string;
  /** How many people in all: at least the people listed. */
  affectedCount: number;
  occurredAt: number | null;
  discoveredAt: number;
}

export interface IncidentSummary {
  id: string;
  title: string;
  affectedCount: number;
  occurredAt: number | null;
  discoveredAt: number;
  authorityNotifiedAt: number | null;
  roskomnadzorNotifiedAt: number | null;
  subjectsNotifiedAt: number | null;
  followUpAt: number | null;
  closedAt: number | null;
}

export interface Incident extends IncidentSummary {
  description: string;
  affected: { id: string; name: string; erased: boolean }[];
  others: string;
  createdBy: string;
  createdAt: number;
}

/** Who was told: the GDPR supervisory authority, Roskomnadzor (first notice), the people, or the 152-FZ results. */
export const NOTIFICATIONS = ["authority", "roskomnadzor", "subjects", "follow-up"] as const;
export type NotificationKind = (typeof NOTIFICATIONS)[number];

const FIELD_OF: Record<NotificationKind, "authorityNotifiedAt" | "roskomnadzorNotifiedAt" | "subjectsNotifiedAt" | "followUpAt"> = {
  authority: "authorityNotifiedAt",
  roskomnadzor: "roskomnadzorNotifiedAt",
  subjects: "subjectsNotifiedAt",
  "follow-up": "followUpAt",
};

export function recordIncident(deps: IncidentDeps, input: IncidentInput, actor: string, now: number): string {
  const id = crypto.randomUUID();
  deps.db.transaction(
    (tx) => {
      store.insertIncidentRow(tx, {
        id,
        ...sealed(deps.vault, id, input),
        affectedCount: input.affectedCount,
        occurredAt: input.occurredAt,
        discoveredAt: input.discoveredAt,
        authorityNotifiedAt: null,
        roskomnadzorNotifiedAt: null,
        subjectsNotifiedAt: null,
        followUpAt: null,
        createdBy: actor,
        createdAt: now,
        closedAt: null,
      });
      recordAudit(tx, deps.vault, { actor, action: "incident.create", target: id, details: { affected: input.affectedCount, listed: input.affectedIds.length }, at: now });
    },
    { behavior: "immediate" },
  );
  return id;
}

/**
 * Corrects what was recorded; false when there is no such incident. People erased since stay listed (by id): their
 * address can no longer be typed into the form, but they were affected all the same.
 */
export function updateIncident(deps: IncidentDeps, id: string, corrected: IncidentInput, actor: string, now: number): boolean {
  return deps.db.transaction(
    (tx) => {
      const before = getIncident({ db: tx, vault: deps.vault }, id);
      if (!before) return false;
      const gone = before.affected.filter((a) => a.erased).map((a) => a.id);
      const affectedIds = [...new Set([...gone, ...corrected.affectedIds])];
      const input = { ...corrected, affectedIds, affectedCount: Math.max(corrected.affectedCount, affectedIds.length) };
      store.updateIncidentRow(tx, id, { ...sealed(deps.vault, id, input), affectedCount: input.affectedCount, occurredAt: input.occurredAt, discoveredAt: input.discoveredAt });
      recordAudit(tx, deps.vault, { actor, action: "incident.update", target: id, details: { affected: input.affectedCount, listed: input.affectedIds.length }, at: now });
      return true;
    },
    { behavior: "immediate" },
  );
}

/** Records when someone was notified (a correction replaces the earlier time); false when there is no such incident. */
export function recordNotification(deps: IncidentDeps, id: string, kind: NotificationKind, at: number, actor: string, now: number): boolean {
  return deps.db.transaction(
    (tx) => {
      if (!store.getIncidentRow(tx, id)) return false;
      store.updateIncidentRow(tx, id, { [FIELD_OF[kind]]: at });
      recordAudit(tx, deps.vault, { actor, action: "incident.notify", target: id, details: { notified: kind, at }, at: now });
      return true;
    },
    { behavior: "immediate" },
  );
}

/** Closes (or, with `closed: false`, reopens) an incident; false when there is no such incident. */
export function closeIncident(deps: IncidentDeps, id: string, options: { closed: boolean }, actor: string, now: number): boolean {
  return deps.db.transaction(
    (tx) => {
      if (!store.getIncidentRow(tx, id)) return false;
      store.updateIncidentRow(tx, id, { closedAt: options.closed ? now : null });
      recordAudit(tx, deps.vault, { actor, action: options.closed ? "incident.close" : "incident.reopen", target: id, at: now });
      return true;
    },
    { behavior: "immediate" },
  );
}

export function listIncidents(deps: IncidentDeps): IncidentSummary[] {
  return store.listIncidentRows(deps.db).map((row) => summaryOf(deps.vault, row));
}

/** One incident with the affected people's names opened (an erased person's is gone). */
export function getIncident(deps: IncidentDeps, id: string): Incident | null {
  const row = store.getIncidentRow(deps.db, id);
  if (!row) return null;
  const affected = JSON.parse(open(deps.vault, row, "affected", row.affected)) as { ids: string[]; others: string };
  return {
    ...summaryOf(deps.vault, row),
    description: open(deps.vault, row, "description", row.description),
    affected: affected.ids.map((personId) => {
      const person = getPerson(deps, personId);
      return { id: personId, name: person && !person.erased ? person.name : "", erased: !person || person.erased === true };
    }),
    others: affected.others,
    createdBy: row.createdBy,
    createdAt: row.createdAt,
  };
}

function sealed(vault: Vault, id: string, input: IncidentInput): { title: Buffer; description: Buffer; affected: Buffer } {
  const seal = (column: string, value: string) => Buffer.from(vault.sealField(ORG_SUBJECT, "incidents", column, id, value));
  return {
    title: seal("title", input.title),
    description: seal("description", input.description),
    affected: seal("affected", JSON.stringify({ ids: [...new Set(input.affectedIds)], others: input.others })),
  };
}

function open(vault: Vault, row: store.IncidentRow, column: string, bytes: Uint8Array): string {
  return vault.openField(ORG_SUBJECT, "incidents", column, row.id, bytes);
}

function summaryOf(vault: Vault, row: store.IncidentRow): IncidentSummary {
  return {
    id: row.id,
    title: open(vault, row, "title", row.title),
    affectedCount: row.affectedCount,
    occurredAt: row.occurredAt,
    discoveredAt: row.discoveredAt,
    authorityNotifiedAt: row.authorityNotifiedAt,
    roskomnadzorNotifiedAt: row.roskomnadzorNotifiedAt,
    subjectsNotifiedAt: row.subjectsNotifiedAt,
    followUpAt: row.followUpAt,
    closedAt: row.closedAt,
  };
}
