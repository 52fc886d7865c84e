// Intake forms: per service, the questions a client answers after booking. The questions are the organisation's
// words (not personal data) and are stored in clear; each save bumps the form's version and is audited, and every
// answer keeps a copy of the questions it answered, so a later edit never changes what a client saw.
import { recordAudit } from "../audit/audit.ts";
import type { Queryable } from "../db/client.ts";
import type { Vault } from "../vault/vault.ts";
import { FIELD_KINDS, type IntakeField, type ValidForm } from "./intake.schema.ts";
import * as store from "./intake.store.ts";

export interface IntakeForm {
  serviceId: string;
  version: number;
  fields: IntakeField[];
  active: boolean;
  updatedAt: number;
  updatedBy: string;
}

/** Questions as stored; anything not of our own shape (a hand-edited row) is left out rather than shown broken. */
export function fieldsOfJSON(json: string): IntakeField[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    return [];
  }
  if (!Array.isArray(parsed)) return [];
  return parsed.filter(
    (f): f is IntakeField =>
      typeof f?.id === "string" &&
      (FIELD_KINDS as readonly string[]).includes(f.kind) &&
      typeof f.label?.en === "string" &&
      typeof f.label?.ru === "string" &&
      Array.isArray(f.options) &&
      typeof f.required === "boolean",
  );
}

export function getIntakeForm(db: Queryable, serviceId: string): IntakeForm | null {
  const row = store.getFormRow(db, serviceId);
  return row ? { serviceId: row.serviceId, version: row.version, fields: fieldsOfJSON(row.fields), active: row.active, updatedAt: row.updatedAt, updatedBy: row.updatedBy } : null;
}

/** The form clients of this service are asked to fill: active and with at least one question; else null. */
export function askedForm(db: Queryable, serviceId: string): IntakeForm | null {
  const form = getIntakeForm(db, serviceId);
  return form?.active && form.fields.length > 0 ? form : null;
}

/**
 * Writes the service's form as its next version (the first save is version 1), audited as `intake.form.save`, in the
 * caller's transaction (intake.ts `saveIntakeForm` also queues the reminders it causes there).
 */
export function writeIntakeForm(tx: Queryable, vault: Vault, serviceId: string, form: ValidForm, actor: string, now: number): IntakeForm {
  const version = (store.getFormRow(tx, serviceId)?.version ?? 0) + 1;
  const row: store.IntakeFormRow = { serviceId, version, fields: JSON.stringify(form.fields), active: form.active, updatedAt: now, updatedBy: actor };
  store.upsertFormRow(tx, row);
  recordAudit(tx, vault, { actor, action: "intake.form.save", target: serviceId, details: { version, fields: form.fields.length, active: form.active }, at: now });
  return { serviceId, version, fields: form.fields, active: form.active, updatedAt: now, updatedBy: actor };
}
