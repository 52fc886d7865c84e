// The database schema. Personal data lives only in `blob` columns sealed by src/crypto (see DESIGN.md decision 3);
// the columns that hold sealed bytes are named in SEALED_COLUMNS so a test can check nothing slips through in clear.
import { sql } from "drizzle-orm";
import { blob, integer, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";

/** Small facts about the installation itself: schema owner, organisation settings. No personal data. */
export const meta = sqliteTable("meta", {
  key: text("key").primaryKey(),
  value: text("value").notNull(),
});

/**
 * Data keys (DEKs), each wrapped by a key-encryption key (KEK) that never enters the database.
 * `subject` is "org", "index", "audit" or a person's id. Erasing a person sets `wrapped` to NULL (crypto-shredding).
 */
export const dataKeys = sqliteTable("data_keys", {
  subject: text("subject").primaryKey(),
  kekId: text("kek_id").notNull(),
  wrapped: blob("wrapped", { mode: "buffer" }),
  createdAt: integer("created_at").notNull(),
  destroyedAt: integer("destroyed_at"),
});

/** Append-only, hash-chained log; triggers in migration 0001 refuse UPDATE and DELETE. */
export const auditLog = sqliteTable("audit_log", {
  id: integer("id").primaryKey({ autoIncrement: true }),
  at: integer("at").notNull(),
  actor: text("actor").notNull(),
  action: text("action").notNull(),
  target: text("target"),
  details: text("details").notNull().default("{}"),
  mac: blob("mac", { mode: "buffer" }).notNull(),
});

/** Everyone the organisation knows: staff and clients. Accounts (passwords, sessions) attach to a person. */
export const people = sqliteTable(
  "people",
  {
    id: text("id").primaryKey(),
    role: text("role", { enum: ["admin", "specialist", "staff", "client"] }).notNull(),
    emailIndex: blob("email_index", { mode: "buffer" }).notNull(),
    email: blob("email", { mode: "buffer" }).notNull(),
    name: blob("name", { mode: "buffer" }).notNull(),
    phone: blob("phone", { mode: "buffer" }),
    createdAt: integer("created_at").notNull().default(sql`(unixepoch() * 1000)`),
  },
  (t) => [uniqueIndex("people_email_index").on(t.emailIndex)],
);

/** Every column that holds sealed bytes, as table → columns. */
export const SEALED_COLUMNS: Readonly<Record<string, readonly string[]>> = {
  people: ["email", "name", "phone"],
};
