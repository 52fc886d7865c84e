import { and, asc, desc, eq, lt } from "drizzle-orm";
import type { Queryable } from "../db/client.ts";
import { webhookAttempts, webhookDeliveries, webhookEndpoints } from "../db/schema.ts";

export type EndpointRow = typeof webhookEndpoints.$inferSelect;
export type DeliveryRow = typeof webhookDeliveries.$inferSelect;
export type AttemptRow = typeof webhookAttempts.$inferSelect;

export function insertEndpointRow(db: Queryable, row: EndpointRow): void {
  db.insert(webhookEndpoints).values(row).run();
}

export function endpointRow(db: Queryable, id: string): EndpointRow | null {
  return db.select().from(webhookEndpoints).where(eq(webhookEndpoints.id, id)).get() ?? null;
}

/** Oldest first. */
export function endpointRows(db: Queryable): EndpointRow[] {
  return db.select().from(webhookEndpoints).orderBy(asc(webhookEndpoints.createdAt), asc(webhookEndpoints.id)).all();
}

export function enabledEndpointRows(db: Queryable): EndpointRow[] {
  return db.select().from(webhookEndpoints).where(eq(webhookEndpoints.enabled, true)).all();
}

export function updateEndpointRow(db: Queryable, id: string, set: Partial<Omit<EndpointRow, "id">>): boolean {
  return db.update(webhookEndpoints).set(set).where(eq(webhookEndpoints.id, id)).returning({ id: webhookEndpoints.id }).all().length === 1;
}

/** Its deliveries and their attempts go with it (foreign keys cascade). */
export function deleteEndpointRow(db: Queryable, id: string): boolean {
  return db.delete(webhookEndpoints).where(eq(webhookEndpoints.id, id)).returning({ id: webhookEndpoints.id }).all().length === 1;
}

export function insertDeliveryRow(db: Queryable, row: DeliveryRow): void {
  db.insert(webhookDeliveries).values(row).run();
}

export function deliveryRow(db: Queryable, id: string): DeliveryRow | null {
  return db.select().from(webhookDeliveries).where(eq(webhookDeliveries.id, id)).get() ?? null;
}

/** Newest first. */
export function deliveryRowsOf(db: Queryable, endpointId: string, limit: number): DeliveryRow[] {
  return db.select().from(webhookDeliveries).where(eq(webhookDeliveries.endpointId, endpointId)).orderBy(desc(webhookDeliveries.createdAt), desc(webhookDeliveries.id)).limit(limit).all();
}

export function updateDeliveryRow(db: Queryable, id: string, set: Partial<Omit<DeliveryRow, "id">>): void {
  db.update(webhookDeliveries).set(set).where(eq(webhookDeliveries.id, id)).run();
}

export function insertAttemptRow(db: Queryable, row: Omit<AttemptRow, "id">): void {
  db.insert(webhookAttempts).values(row).run();
}

/** Oldest first. */
export function attemptRowsOf(db: Queryable, deliveryId: string): AttemptRow[] {
  return db.select().from(webhookAttempts).where(eq(webhookAttempts.deliveryId, deliveryId)).orderBy(asc(webhookAttempts.id)).all();
}

export function deleteDeliveriesBefore(db: Queryable, before: number): number {
  return db.delete(webhookDeliveries).where(lt(webhookDeliveries.createdAt, before)).returning({ id: webhookDeliveries.id }).all().length;
}

export function pendingDeliveryCount(db: Queryable, endpointId: string): number {
  return db.select({ id: webhookDeliveries.id }).from(webhookDeliveries).where(and(eq(webhookDeliveries.endpointId, endpointId), eq(webhookDeliveries.status, "pending"))).all().length;
}
