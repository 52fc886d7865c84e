import { asc, eq } from "drizzle-orm";
import type { Queryable } from "../db/client.ts";
import { intakeForms, intakeResponses } from "../db/schema.ts";

export type IntakeFormRow = typeof intakeForms.$inferSelect;
export type IntakeResponseRow = typeof intakeResponses.$inferSelect;

export function getFormRow(db: Queryable, serviceId: string): IntakeFormRow | null {
  return db.select().from(intakeForms).where(eq(intakeForms.serviceId, serviceId)).get() ?? null;
}

export function upsertFormRow(db: Queryable, row: IntakeFormRow): void {
  db.insert(intakeForms).values(row).onConflictDoUpdate({ target: intakeForms.serviceId, set: row }).run();
}

export function getResponseRow(db: Queryable, appointmentId: string): IntakeResponseRow | null {
  return db.select().from(intakeResponses).where(eq(intakeResponses.appointmentId, appointmentId)).get() ?? null;
}

/** A client's answers to every appointment's form, oldest first. */
export function listResponseRowsOfClient(db: Queryable, clientId: string): IntakeResponseRow[] {
  return db.select().from(intakeResponses).where(eq(intakeResponses.clientId, clientId)).orderBy(asc(intakeResponses.submittedAt)).all();
}

export function upsertResponseRow(db: Queryable, row: IntakeResponseRow): void {
  db.insert(intakeResponses)
    .values(row)
    .onConflictDoUpdate({ target: intakeResponses.appointmentId, set: { formVersion: row.formVersion, answers: row.answers, updatedAt: row.updatedAt } })
    .run();
}
