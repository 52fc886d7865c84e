import { eq } from "drizzle-orm";
import type { Queryable } from "../db/client.ts";
import { availability, people } from "../db/schema.ts";

export type PersonRow = typeof people.$inferSelect;

export function insertPersonRow(db: Queryable, row: typeof people.$inferInsert): void {
  db.insert(people).values(row).run();
}

export function getPersonRow(db: Queryable, id: string): PersonRow | null {
  return db.select().from(people).where(eq(people.id, id)).get() ?? null;
}

export function findPersonRowByEmailIndex(db: Queryable, emailIndex: Uint8Array): PersonRow | null {
  return db.select().from(people).where(eq(people.emailIndex, Buffer.from(emailIndex))).get() ?? null;
}

export function listPersonRows(db: Queryable): PersonRow[] {
  return db.select().from(people).orderBy(people.createdAt).all();
}

export function updatePersonRow(db: Queryable, id: string, set: Partial<Pick<PersonRow, "timeZone" | "locale" | "hourCycle">>): void {
  if (Object.keys(set).length) db.update(people).set(set).where(eq(people.id, id)).run();
}

/**
 * The unsealed columns that say how a person reads, with the zone they work in: that lives with their hours in
 * booking's availability table and is read here, so that people/ alone answers "in which zone does this person read".
 */
export function getReadingRow(db: Queryable, id: string): { role: PersonRow["role"]; timeZone: string | null; locale: PersonRow["locale"]; hourCycle: PersonRow["hourCycle"]; workingZone: string | null } | null {
  return (
    db
      .select({ role: people.role, timeZone: people.timeZone, locale: people.locale, hourCycle: people.hourCycle, workingZone: availability.timeZone })
      .from(people)
      .leftJoin(availability, eq(availability.specialistId, people.id))
      .where(eq(people.id, id))
      .get() ?? null
  );
}
