// The database schema. Personal data lives only in `blob` columns sealed by src/crypto (see DESIGN.md decision 3);
// the columns that hold sealed bytes are named in SEALED_COLUMNS so a test can check nothing slips through in clear.
import { sql } from "drizzle-orm";
import { blob, index, integer, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";

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
  accounts: ["totp_secret", "totp_pending"],
  rooms: ["invite"],
  room_messages: ["body"],
  room_files: ["name"],
};

/** Sign-in data of a person. No row: the person has no account (yet). */
export const accounts = sqliteTable("accounts", {
  personId: text("person_id")
    .primaryKey()
    .references(() => people.id, { onDelete: "cascade" }),
  /** argon2id (PHC string); null until the person sets a password through their one-time link. */
  passwordHash: text("password_hash"),
  status: text("status", { enum: ["invited", "active", "deactivated"] }).notNull(),
  /** TOTP secret, sealed under the person's key; `totpPending` holds one being enrolled. */
  totpSecret: blob("totp_secret", { mode: "buffer" }),
  totpPending: blob("totp_pending", { mode: "buffer" }),
  /** The last TOTP time step accepted: a code is accepted once. */
  totpLastStep: integer("totp_last_step"),
  createdAt: integer("created_at").notNull(),
  passwordChangedAt: integer("password_changed_at"),
});

/** Single-use recovery codes, stored as a keyed hash. */
export const recoveryCodes = sqliteTable(
  "recovery_codes",
  {
  codeHash: blob("code_hash", { mode: "buffer" }).primaryKey(),
  personId: text("person_id")
    .notNull()
    .references(() => people.id, { onDelete: "cascade" }),
  usedAt: integer("used_at"),
  },
  (t) => [index("recovery_codes_person").on(t.personId)],
);

/** Server-side sessions. Only a hash of the token is stored. */
export const sessions = sqliteTable(
  "sessions",
  {
  tokenHash: blob("token_hash", { mode: "buffer" }).primaryKey(),
  /** A public handle for the sessions list (revoke buttons); never the token. */
  handle: text("handle").notNull().unique(),
  personId: text("person_id")
    .notNull()
    .references(() => people.id, { onDelete: "cascade" }),
  /** "second-factor": password done, code pending; "enrol": must enrol two-factor first; "full": signed in. */
  stage: text("stage", { enum: ["second-factor", "enrol", "full"] }).notNull(),
  device: text("device").notNull(),
  createdAt: integer("created_at").notNull(),
  lastSeenAt: integer("last_seen_at").notNull(),
  expiresAt: integer("expires_at").notNull(),
  /** When the password was last re-entered in this session (sensitive changes need it recently). */
  reauthAt: integer("reauth_at").notNull(),
  },
  (t) => [index("sessions_person").on(t.personId)],
);

/** One-time links: invitations, password resets, the headless first admin. Only a hash of the token is stored. */
export const oneTimeLinks = sqliteTable("one_time_links", {
  tokenHash: blob("token_hash", { mode: "buffer" }).primaryKey(),
  personId: text("person_id")
    .notNull()
    .references(() => people.id, { onDelete: "cascade" }),
  purpose: text("purpose", { enum: ["invite", "reset"] }).notNull(),
  createdBy: text("created_by").notNull(),
  createdAt: integer("created_at").notNull(),
  expiresAt: integer("expires_at").notNull(),
  usedAt: integer("used_at"),
});

/** Failed sign-in attempts per key ("account:<index>" or "ip:<address>") in a sliding window. */
export const signInFailures = sqliteTable("sign_in_failures", {
  key: text("key").primaryKey(),
  failures: integer("failures").notNull(),
  windowStartedAt: integer("window_started_at").notNull(),
});

/** Consultation rooms. A room belongs to its owner (a specialist); the invitation link's token is stored hashed. */
export const rooms = sqliteTable("rooms", {
  id: text("id").primaryKey(),
  ownerId: text("owner_id")
    .notNull()
    .references(() => people.id),
  inviteHash: blob("invite_hash", { mode: "buffer" }).notNull().unique(),
  /** The invitation token itself, sealed under the organisation key, so the owner can show the link again. */
  invite: blob("invite", { mode: "buffer" }).notNull(),
  state: text("state", { enum: ["open", "closed"] }).notNull(),
  createdAt: integer("created_at").notNull(),
  expiresAt: integer("expires_at").notNull(),
  closedAt: integer("closed_at"),
});

/** Who may enter a room besides its owner (everyone who opened its invitation while signed in). */
export const roomParticipants = sqliteTable(
  "room_participants",
  {
    roomId: text("room_id")
      .notNull()
      .references(() => rooms.id, { onDelete: "cascade" }),
    personId: text("person_id")
      .notNull()
      .references(() => people.id, { onDelete: "cascade" }),
    addedAt: integer("added_at").notNull(),
    /** When the host first let them in: from then on they may read the room's chat and files, also after the call. */
    admittedAt: integer("admitted_at"),
  },
  (t) => [uniqueIndex("room_participants_pk").on(t.roomId, t.personId)],
);

/** Chat in a room, sealed under the organisation's key and bound to its row. */
export const roomMessages = sqliteTable(
  "room_messages",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    roomId: text("room_id")
      .notNull()
      .references(() => rooms.id, { onDelete: "cascade" }),
    authorId: text("author_id")
      .notNull()
      .references(() => people.id, { onDelete: "cascade" }),
    at: integer("at").notNull(),
    body: blob("body", { mode: "buffer" }).notNull(),
  },
  (t) => [index("room_messages_room").on(t.roomId, t.id)],
);

/** Files shared in a room. The bytes live sealed on disk in chunks (src/crypto/sealed-file.ts); the name is sealed here. */
export const roomFiles = sqliteTable(
  "room_files",
  {
    id: text("id").primaryKey(),
    roomId: text("room_id")
      .notNull()
      .references(() => rooms.id, { onDelete: "cascade" }),
    uploaderId: text("uploader_id")
      .notNull()
      .references(() => people.id, { onDelete: "cascade" }),
    name: blob("name", { mode: "buffer" }).notNull(),
    mime: text("mime").notNull(),
    size: integer("size").notNull(),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [index("room_files_room").on(t.roomId)],
);
