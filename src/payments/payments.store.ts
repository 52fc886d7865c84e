import { and, desc, eq } from "drizzle-orm";
import type { Queryable } from "../db/client.ts";
import { paymentNotifications, payments } from "../db/schema.ts";

export type PaymentRow = typeof payments.$inferSelect;

export function insertPaymentRow(db: Queryable, row: PaymentRow): void {
  db.insert(payments).values(row).run();
}

export function paymentRow(db: Queryable, id: string): PaymentRow | null {
  return db.select().from(payments).where(eq(payments.id, id)).get() ?? null;
}

export function paymentRowByRef(db: Queryable, provider: PaymentRow["provider"], ref: string): PaymentRow | null {
  return db.select().from(payments).where(and(eq(payments.provider, provider), eq(payments.providerRef, ref))).get() ?? null;
}

/** The newest payment of an appointment. */
export function latestPaymentRowOf(db: Queryable, appointmentId: string): PaymentRow | null {
  return db.select().from(payments).where(eq(payments.appointmentId, appointmentId)).orderBy(desc(payments.createdAt)).get() ?? null;
}

export function updatePaymentRow(db: Queryable, id: string, set: Partial<Omit<PaymentRow, "id">>): void {
  db.update(payments).set(set).where(eq(payments.id, id)).run();
}


/** Records a provider notification as applied; false when it was applied before. */
export function claimNotification(db: Queryable, provider: string, eventId: string, paymentId: string | null, at: number): boolean {
  return db.insert(paymentNotifications).values({ provider, eventId, paymentId, receivedAt: at }).onConflictDoNothing().returning({ e: paymentNotifications.eventId }).all().length > 0;
}
