import { and, asc, eq, gt, inArray, lt, ne } from "drizzle-orm";
import type { Queryable } from "../db/client.ts";
import { appointments, availability, calendarFeeds, people, serviceSpecialists, services } from "../db/schema.ts";

export type ServiceRow = typeof services.$inferSelect;
export type AvailabilityRow = typeof availability.$inferSelect;
export type AppointmentRow = typeof appointments.$inferSelect;

export function listServiceRows(db: Queryable): ServiceRow[] {
  return db.select().from(services).orderBy(asc(services.createdAt)).all();
}

export function getServiceRow(db: Queryable, id: string): ServiceRow | null {
  return db.select().from(services).where(eq(services.id, id)).get() ?? null;
}

export function upsertServiceRow(db: Queryable, row: ServiceRow): void {
  db.insert(services).values(row).onConflictDoUpdate({ target: services.id, set: { ...row, createdAt: undefined } }).run();
}

export function specialistIdsOf(db: Queryable, serviceId: string): string[] {
  return db.select({ id: serviceSpecialists.specialistId }).from(serviceSpecialists).where(eq(serviceSpecialists.serviceId, serviceId)).all().map((r) => r.id);
}

export function setSpecialists(db: Queryable, serviceId: string, ids: readonly string[]): void {
  db.delete(serviceSpecialists).where(eq(serviceSpecialists.serviceId, serviceId)).run();
  if (ids.length) db.insert(serviceSpecialists).values(ids.map((specialistId) => ({ serviceId, specialistId }))).run();
}

export function activeSpecialistIds(db: Queryable): string[] {
  return db.select({ id: people.id }).from(people).where(eq(people.role, "specialist")).all().map((r) => r.id);
}

export function getAvailabilityRow(db: Queryable, specialistId: string): AvailabilityRow | null {
  return db.select().from(availability).where(eq(availability.specialistId, specialistId)).get() ?? null;
}

export function upsertAvailabilityRow(db: Queryable, row: AvailabilityRow): void {
  db.insert(availability).values(row).onConflictDoUpdate({ target: availability.specialistId, set: row }).run();
}

/** No blocked span is longer than this (8 h session + 4 h buffers each side), so overlap queries stay a range scan. */
export const MAX_BLOCK_MS = 16 * 3600_000;

/** Active bookings of a specialist whose blocked span overlaps [from, to). */
export function busySpans(db: Queryable, specialistId: string, from: number, to: number, except?: string): { blockStart: number; blockEnd: number }[] {
  return db
    .select({ blockStart: appointments.blockStart, blockEnd: appointments.blockEnd })
    .from(appointments)
    .where(
      and(
        eq(appointments.specialistId, specialistId),
        // A held appointment keeps its time even when the call ended early.
        inArray(appointments.status, ["booked", "completed"]),
        lt(appointments.blockStart, to),
        gt(appointments.blockStart, from - MAX_BLOCK_MS),
        gt(appointments.blockEnd, from),
        except ? ne(appointments.id, except) : undefined,
      ),
    )
    .all();
}

export function insertAppointmentRows(db: Queryable, rows: AppointmentRow[]): void {
  db.insert(appointments).values(rows).run();
}

export function getAppointmentRow(db: Queryable, id: string): AppointmentRow | null {
  return db.select().from(appointments).where(eq(appointments.id, id)).get() ?? null;
}

export function updateAppointmentRow(db: Queryable, id: string, set: Partial<AppointmentRow>): void {
  db.update(appointments).set(set).where(eq(appointments.id, id)).run();
}

export interface AppointmentFilter {
  specialistIds?: readonly string[];
  clientId?: string;
  from: number;
  to: number;
}

export function listAppointmentRows(db: Queryable, f: AppointmentFilter): AppointmentRow[] {
  return db
    .select()
    .from(appointments)
    .where(
      and(
        f.specialistIds ? inArray(appointments.specialistId, [...f.specialistIds]) : undefined,
        f.clientId ? eq(appointments.clientId, f.clientId) : undefined,
        lt(appointments.startAt, f.to),
        gt(appointments.endAt, f.from),
      ),
    )
    .orderBy(asc(appointments.startAt))
    .all();
}

export type FeedRow = typeof calendarFeeds.$inferSelect;

export function feedRowOf(db: Queryable, personId: string): FeedRow | null {
  return db.select().from(calendarFeeds).where(eq(calendarFeeds.personId, personId)).get() ?? null;
}

export function feedRowByHash(db: Queryable, tokenHash: Uint8Array): FeedRow | null {
  return db.select().from(calendarFeeds).where(eq(calendarFeeds.tokenHash, Buffer.from(tokenHash))).get() ?? null;
}

export function replaceFeedRow(db: Queryable, row: FeedRow): void {
  db.delete(calendarFeeds).where(eq(calendarFeeds.personId, row.personId)).run();
  db.insert(calendarFeeds).values(row).run();
}

export function deleteFeedRows(db: Queryable, personId: string): number {
  return db.delete(calendarFeeds).where(eq(calendarFeeds.personId, personId)).returning({ p: calendarFeeds.personId }).all().length;
}

export function touchFeedRow(db: Queryable, tokenHash: Uint8Array, at: number): void {
  db.update(calendarFeeds).set({ lastFetchedAt: at }).where(eq(calendarFeeds.tokenHash, Buffer.from(tokenHash))).run();
}

export function seriesRows(db: Queryable, seriesId: string): AppointmentRow[] {
  return db.select().from(appointments).where(eq(appointments.seriesId, seriesId)).orderBy(asc(appointments.startAt)).all();
}

/** The clients a specialist has or had appointments with (any status). */
/** The clients a specialist sees or saw: a cancelled appointment alone makes no one theirs (as src/records/care.ts). */
export function clientIdsOfSpecialist(db: Queryable, specialistId: string): string[] {
  return db
    .selectDistinct({ id: appointments.clientId })
    .from(appointments)
    .where(and(eq(appointments.specialistId, specialistId), ne(appointments.status, "cancelled")))
    .all()
    .map((r) => r.id);
}

/** The appointment whose room this is, if any. */
export function appointmentRowByRoom(db: Queryable, roomId: string): AppointmentRow | null {
  return db.select().from(appointments).where(eq(appointments.roomId, roomId)).get() ?? null;
}
