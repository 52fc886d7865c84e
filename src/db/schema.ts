// The database schema. Personal data lives only in `blob` columns sealed by src/crypto (see DESIGN.md decision 3);
// the columns that hold sealed bytes are named in SEALED_COLUMNS so a test can check nothing slips through in clear.
import { sql } from "drizzle-orm";
import { blob, index, integer, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import { ROLES } from "../roles.ts";

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

/**
 * Append-only, hash-chained log; triggers in migration 0001 refuse UPDATE and DELETE. Indexed by time: the anomaly
 * scan reads the last hour of it every minute, and the audit page filters by day.
 */
export const auditLog = sqliteTable(
  "audit_log",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    at: integer("at").notNull(),
    actor: text("actor").notNull(),
    action: text("action").notNull(),
    target: text("target"),
    details: text("details").notNull().default("{}"),
    mac: blob("mac", { mode: "buffer" }).notNull(),
  },
  (t) => [index("audit_log_at").on(t.at)],
);

/** Everyone the organisation knows: staff and clients. Accounts (passwords, sessions) attach to a person. */
export const people = sqliteTable(
  "people",
  {
    id: text("id").primaryKey(),
    role: text("role", { enum: ROLES }).notNull(),
    emailIndex: blob("email_index", { mode: "buffer" }).notNull(),
    email: blob("email", { mode: "buffer" }).notNull(),
    name: blob("name", { mode: "buffer" }).notNull(),
    phone: blob("phone", { mode: "buffer" }),
    /** Where and in which language the person reads times and mails; null: the organisation's. */
    timeZone: text("time_zone"),
    locale: text("locale", { enum: ["en", "ru"] }),
    /** How the person reads clock times: "h23" (14:30) or "h12" (2:30 PM); null: their language's custom. */
    hourCycle: text("hour_cycle", { enum: ["h12", "h23"] }),
    createdAt: integer("created_at").notNull().default(sql`(unixepoch() * 1000)`),
  },
  (t) => [uniqueIndex("people_email_index").on(t.emailIndex)],
);

/** Every column that holds sealed bytes, as table → columns. */
export const SEALED_COLUMNS: Readonly<Record<string, readonly string[]>> = {
  people: ["email", "name", "phone"],
  accounts: ["totp_secret", "totp_pending"],
  rooms: ["invite", "label"],
  room_messages: ["body"],
  room_files: ["name"],
  appointments: ["cancel_reason"],
  jobs: ["payload"],
  calendar_feeds: ["token"],
  client_notes: ["draft"],
  client_note_versions: ["body"],
  intake_responses: ["answers"],
  privacy_requests: ["note", "outcome"],
  legal_holds: ["reason"],
  break_glass_grants: ["reason"],
  incidents: ["title", "description", "affected"],
  api_idempotency: ["response"],
  webhook_endpoints: ["url", "secret"],
  webhook_deliveries: ["payload"],
  csv_imports: ["content"],
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
  /** Clients only: the second factor is a one-time code sent by email instead of an authenticator app. */
  emailSecondFactor: integer("email_second_factor", { mode: "boolean" }).notNull().default(false),
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
  /** Whose key seals the room's chat and files: the client of an appointment's room (erasing them shreds it), else "org". */
  subject: text("subject").notNull().default("org"),
  /** What the host calls an ad-hoc room (a client's name, a purpose), sealed under the organisation's key; null: none. */
  label: blob("label", { mode: "buffer" }),
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

/** What clients can book. Names and descriptions are the organisation's own words, in both languages; no personal data. */
export const services = sqliteTable("services", {
  id: text("id").primaryKey(),
  nameEn: text("name_en").notNull(),
  nameRu: text("name_ru").notNull(),
  descriptionEn: text("description_en").notNull().default(""),
  descriptionRu: text("description_ru").notNull().default(""),
  durationMinutes: integer("duration_minutes").notNull(),
  bufferBeforeMinutes: integer("buffer_before_minutes").notNull().default(0),
  bufferAfterMinutes: integer("buffer_after_minutes").notNull().default(0),
  mode: text("mode", { enum: ["online", "in-person"] }).notNull(),
  /** In minor units (cents, kopecks); null: no price shown. */
  priceMinor: integer("price_minor"),
  currency: text("currency"),
  /** Clients may cancel or reschedule until this many hours before the start. */
  cancelHours: integer("cancel_hours").notNull().default(24),
  /** Paid online (src/payments/): not at all, when booking (the time is held until paid), or after the consultation. */
  paymentMode: text("payment_mode", { enum: ["none", "at-booking", "after"] }).notNull().default("none"),
  active: integer("active", { mode: "boolean" }).notNull().default(true),
  createdAt: integer("created_at").notNull(),
});

/** Which specialists offer a service. */
export const serviceSpecialists = sqliteTable(
  "service_specialists",
  {
    serviceId: text("service_id")
      .notNull()
      .references(() => services.id, { onDelete: "cascade" }),
    specialistId: text("specialist_id")
      .notNull()
      .references(() => people.id, { onDelete: "cascade" }),
  },
  (t) => [uniqueIndex("service_specialists_pk").on(t.serviceId, t.specialistId), index("service_specialists_person").on(t.specialistId)],
);

/** A specialist's working hours (JSON, see src/booking/slots.ts), in their own time zone. */
export const availability = sqliteTable("availability", {
  specialistId: text("specialist_id")
    .primaryKey()
    .references(() => people.id, { onDelete: "cascade" }),
  timeZone: text("time_zone").notNull(),
  weekly: text("weekly").notNull(),
  exceptions: text("exceptions").notNull().default("{}"),
  minNoticeMinutes: integer("min_notice_minutes").notNull(),
  horizonDays: integer("horizon_days").notNull(),
  updatedAt: integer("updated_at").notNull(),
});

/**
 * Booked time. `blockStart`/`blockEnd` are the span the booking holds in the specialist's calendar (buffers included);
 * the booking transaction refuses any overlap of these spans among a specialist's active appointments.
 */
export const appointments = sqliteTable(
  "appointments",
  {
    id: text("id").primaryKey(),
    serviceId: text("service_id")
      .notNull()
      .references(() => services.id),
    specialistId: text("specialist_id")
      .notNull()
      .references(() => people.id),
    clientId: text("client_id")
      .notNull()
      .references(() => people.id, { onDelete: "cascade" }),
    startAt: integer("start_at").notNull(),
    endAt: integer("end_at").notNull(),
    blockStart: integer("block_start").notNull(),
    blockEnd: integer("block_end").notNull(),
    status: text("status", { enum: ["booked", "cancelled", "completed", "no-show"] }).notNull(),
    /** Sessions booked together as one weekly or biweekly series share this id. */
    seriesId: text("series_id"),
    roomId: text("room_id").references(() => rooms.id),
    createdBy: text("created_by").notNull(),
    createdAt: integer("created_at").notNull(),
    cancelledAt: integer("cancelled_at"),
    cancelledBy: text("cancelled_by"),
    /** Sealed under the client's key: a reason may say something personal. */
    cancelReason: blob("cancel_reason", { mode: "buffer" }),
    /** Counts moves and cancellation: calendars see it as the event's SEQUENCE, and mail keys include it. */
    revision: integer("revision").notNull().default(0),
  },
  (t) => [
    index("appointments_specialist").on(t.specialistId, t.startAt),
    // Free-time queries read a specialist's active spans in a bounded window of block starts.
    index("appointments_busy").on(t.specialistId, t.status, t.blockStart),
    index("appointments_client").on(t.clientId, t.startAt),
    index("appointments_series").on(t.seriesId),
    // Closing a room marks its appointment held, and the page after the call finds it: both by room.
    index("appointments_room").on(t.roomId),
    // The last line of defence against a double booking, also across processes: one active booking per start.
    uniqueIndex("appointments_active_start").on(t.specialistId, t.startAt).where(sql`status = 'booked'`),
  ],
);

/**
 * The persisted job queue (mail today). `dedupeKey` is unique: enqueueing the same job twice is a no-op, so a
 * reminder is queued once however often its appointment is saved. The payload is sealed under its subject's key.
 */
export const jobs = sqliteTable(
  "jobs",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    kind: text("kind").notNull(),
    dedupeKey: text("dedupe_key").notNull().unique(),
    /** The person the job is about (their key seals the payload); erasure shreds it. */
    subject: text("subject").notNull(),
    payload: blob("payload", { mode: "buffer" }).notNull(),
    runAt: integer("run_at").notNull(),
    status: text("status", { enum: ["pending", "running", "done", "failed", "cancelled"] }).notNull(),
    attempts: integer("attempts").notNull().default(0),
    /** When a worker took it: a job still "running" long after that was abandoned (a crash) and is taken again. */
    claimedAt: integer("claimed_at"),
    lastError: text("last_error"),
    createdAt: integer("created_at").notNull(),
    finishedAt: integer("finished_at"),
  },
  (t) => [index("jobs_due").on(t.status, t.runAt)],
);

/** Private calendar feeds. The token is in the feed's URL (calendar apps have no other way); only its hash finds it. */
export const calendarFeeds = sqliteTable(
  "calendar_feeds",
  {
    tokenHash: blob("token_hash", { mode: "buffer" }).primaryKey(),
    personId: text("person_id")
      .notNull()
      .references(() => people.id, { onDelete: "cascade" }),
    /** The token sealed under the person's key, so its owner can copy the address again. */
    token: blob("token", { mode: "buffer" }).notNull(),
    createdAt: integer("created_at").notNull(),
    lastFetchedAt: integer("last_fetched_at"),
  },
  (t) => [index("calendar_feeds_person").on(t.personId)],
);

/** The one outstanding sign-in code sent by email, per person: a keyed hash, single use, 10 minutes. */
export const emailCodes = sqliteTable("email_codes", {
  personId: text("person_id")
    .primaryKey()
    .references(() => people.id, { onDelete: "cascade" }),
  codeHash: blob("code_hash", { mode: "buffer" }).notNull(),
  purpose: text("purpose", { enum: ["sign-in", "enrol", "register"] }).notNull(),
  createdAt: integer("created_at").notNull(),
  expiresAt: integer("expires_at").notNull(),
  /** Wrong guesses at this code: after MAX_WRONG_GUESSES it is void, and guessing needs a new code (at most one a minute). */
  wrongGuesses: integer("wrong_guesses").notNull().default(0),
});

/**
 * Anomaly alerts raised from the audit trail (src/anomalies). Ids only, never names or addresses: `subject` is the
 * person the alert is about, or a keyed address tag (signin-failures-address), or "system"/"cli". One alert per rule,
 * subject and window: `triggeredAt` (the audit entry's time that crossed the limit) anchors the window, and the unique
 * index keeps a rescan from raising it twice.
 */
export const anomalyAlerts = sqliteTable(
  "anomaly_alerts",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    rule: text("rule").notNull(),
    subject: text("subject").notNull(),
    triggeredAt: integer("triggered_at").notNull(),
    /** The first and the latest audit entry the alert covers (times), for "between" and the audit log link. */
    firstAt: integer("first_at").notNull(),
    lastAt: integer("last_at").notNull(),
    /** Distinct records read, failures, or actions seen: grows while the window lasts. */
    count: integer("count").notNull(),
    /** The audit action that triggered it (off-hours, export, break-glass), else null. */
    action: text("action"),
    createdAt: integer("created_at").notNull(),
    acknowledgedAt: integer("acknowledged_at"),
    acknowledgedBy: text("acknowledged_by"),
  },
  (t) => [uniqueIndex("anomaly_alerts_window").on(t.rule, t.subject, t.triggeredAt), index("anomaly_alerts_open").on(t.acknowledgedAt, t.triggeredAt)],
);

/**
 * Session notes a specialist keeps about a client (src/records). The text lives only in the versions and the draft,
 * sealed under the client's data key (erasing the client's key makes every note unreadable). `finalisedAt` locks a
 * note: no version is added after it. `addendumTo` links an addendum to the finalised note it adds to.
 */
export const clientNotes = sqliteTable(
  "client_notes",
  {
    id: text("id").primaryKey(),
    clientId: text("client_id")
      .notNull()
      .references(() => people.id, { onDelete: "cascade" }),
    authorId: text("author_id")
      .notNull()
      .references(() => people.id),
    appointmentId: text("appointment_id").references(() => appointments.id),
    addendumTo: text("addendum_to"),
    createdAt: integer("created_at").notNull(),
    finalisedAt: integer("finalised_at"),
    /** Autosaved while the author types, replaced in place; becomes a version only when the author saves. */
    draft: blob("draft", { mode: "buffer" }),
    draftAt: integer("draft_at"),
  },
  (t) => [index("client_notes_client").on(t.clientId, t.createdAt)],
);

/** Every saved text of a note, never changed or removed: an edit appends the next version. Sealed like the draft. */
export const clientNoteVersions = sqliteTable(
  "client_note_versions",
  {
    noteId: text("note_id")
      .notNull()
      .references(() => clientNotes.id, { onDelete: "cascade" }),
    version: integer("version").notNull(),
    authorId: text("author_id").notNull(),
    createdAt: integer("created_at").notNull(),
    body: blob("body", { mode: "buffer" }).notNull(),
  },
  (t) => [uniqueIndex("client_note_versions_pk").on(t.noteId, t.version)],
);

/**
 * The organisation's consent texts, per purpose and version (src/consent). A version's text never changes once saved:
 * a changed text is the purpose's next version, so every ledger entry points at the exact words the person saw. The
 * texts are the organisation's words, not personal data: stored in clear.
 */
export const CONSENT_PURPOSES = ["processing", "health-data", "file-sharing", "recording"] as const;
export type ConsentPurpose = (typeof CONSENT_PURPOSES)[number];

export const consentDocuments = sqliteTable(
  "consent_documents",
  {
    purpose: text("purpose", { enum: CONSENT_PURPOSES }).notNull(),
    version: integer("version").notNull(),
    textEn: text("text_en").notNull(),
    textRu: text("text_ru").notNull(),
    createdAt: integer("created_at").notNull(),
    createdBy: text("created_by").notNull(),
  },
  (t) => [uniqueIndex("consent_documents_pk").on(t.purpose, t.version)],
);

/**
 * The consent ledger: every consent given and withdrawn, append-only (a withdrawal is a new entry, never a deletion).
 * `method` says how: "registration", "booking", "account" (the person's own page), "room" (asked before a call's
 * files), "staff" (recorded by staff from a signed paper form: `recordedBy` names them). Ids only, no personal data.
 */
export const consentLedger = sqliteTable(
  "consent_ledger",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    personId: text("person_id")
      .notNull()
      .references(() => people.id, { onDelete: "cascade" }),
    purpose: text("purpose", { enum: CONSENT_PURPOSES }).notNull(),
    version: integer("version").notNull(),
    action: text("action", { enum: ["given", "withdrawn"] }).notNull(),
    method: text("method", { enum: ["registration", "booking", "account", "room", "staff"] }).notNull(),
    recordedBy: text("recorded_by").notNull(),
    at: integer("at").notNull(),
  },
  (t) => [index("consent_ledger_person").on(t.personId, t.purpose, t.id)],
);

/**
 * Intake forms: per service, the questions a client answers after booking (src/intake). `fields` is JSON (kind,
 * labels in both languages, options, required), the organisation's words; `version` counts saves, and an answer keeps
 * the questions it answered, so a later edit never changes what a client saw.
 */
export const intakeForms = sqliteTable("intake_forms", {
  serviceId: text("service_id")
    .primaryKey()
    .references(() => services.id, { onDelete: "cascade" }),
  version: integer("version").notNull(),
  fields: text("fields").notNull(),
  active: integer("active", { mode: "boolean" }).notNull().default(true),
  updatedAt: integer("updated_at").notNull(),
  updatedBy: text("updated_by").notNull(),
});

/** A client's answers to an appointment's intake form, questions included, sealed under the client's key. */
export const intakeResponses = sqliteTable(
  "intake_responses",
  {
    appointmentId: text("appointment_id")
      .primaryKey()
      .references(() => appointments.id, { onDelete: "cascade" }),
    clientId: text("client_id")
      .notNull()
      .references(() => people.id, { onDelete: "cascade" }),
    formVersion: integer("form_version").notNull(),
    answers: blob("answers", { mode: "buffer" }).notNull(),
    submittedAt: integer("submitted_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [index("intake_responses_client").on(t.clientId)],
);

/**
 * Data-subject requests (src/privacy): access, rectification, erasure, restriction, objection, portability, received
 * through any channel and handled by staff in a queue. `dueAt` is the legal deadline (GDPR one month, 152-FZ ten
 * working days), fixed when the request is received. `note`/`outcome` are sealed under the person's key.
 */
export const privacyRequests = sqliteTable(
  "privacy_requests",
  {
    id: text("id").primaryKey(),
    personId: text("person_id")
      .notNull()
      .references(() => people.id, { onDelete: "cascade" }),
    kind: text("kind", { enum: ["access", "rectification", "erasure", "restriction", "objection", "portability"] }).notNull(),
    law: text("law", { enum: ["gdpr", "152-fz"] }).notNull(),
    channel: text("channel", { enum: ["account", "email", "letter", "phone", "in-person"] }).notNull(),
    receivedAt: integer("received_at").notNull(),
    dueAt: integer("due_at").notNull(),
    /** The deadline before staff extended it (once, within the law's limit); null: not extended. */
    extendedFrom: integer("extended_from"),
    /** Why the request exists beyond its kind: "consent-withdrawal" (filed by withdrawing consent to processing). */
    cause: text("cause", { enum: ["consent-withdrawal"] }),
    status: text("status", { enum: ["open", "done", "refused"] }).notNull(),
    note: blob("note", { mode: "buffer" }),
    outcome: blob("outcome", { mode: "buffer" }),
    createdBy: text("created_by").notNull(),
    closedAt: integer("closed_at"),
    closedBy: text("closed_by"),
  },
  (t) => [index("privacy_requests_open").on(t.status, t.dueAt), index("privacy_requests_person").on(t.personId)],
);

/**
 * Legal holds and restrictions of processing (src/privacy): while a hold stands, erasure is refused with its reason and
 * processing is restricted instead. `recordType` is what the law keeps ("notes", "appointments", "all"); `until` null:
 * until released. The reason (a law, a case number; it may name the person) is sealed under the client's key.
 */
export const legalHolds = sqliteTable(
  "legal_holds",
  {
    id: text("id").primaryKey(),
    personId: text("person_id")
      .notNull()
      .references(() => people.id, { onDelete: "cascade" }),
    recordType: text("record_type").notNull(),
    reason: blob("reason", { mode: "buffer" }).notNull(),
    until: integer("until"),
    createdBy: text("created_by").notNull(),
    createdAt: integer("created_at").notNull(),
    releasedAt: integer("released_at"),
    releasedBy: text("released_by"),
  },
  (t) => [index("legal_holds_person").on(t.personId)],
);

/** People whose data may only be stored, not otherwise used (GDPR art. 18): set instead of erasure, or on request. */
export const processingRestrictions = sqliteTable("processing_restrictions", {
  personId: text("person_id")
    .primaryKey()
    .references(() => people.id, { onDelete: "cascade" }),
  reason: text("reason", { enum: ["legal-hold", "request", "objection"] }).notNull(),
  since: integer("since").notNull(),
  by: text("by").notNull(),
});

/** Who supervises whom: a supervisor reads the session notes of the specialists they supervise (set by an admin). */
export const supervisions = sqliteTable(
  "supervisions",
  {
    supervisorId: text("supervisor_id")
      .notNull()
      .references(() => people.id, { onDelete: "cascade" }),
    specialistId: text("specialist_id")
      .notNull()
      .references(() => people.id, { onDelete: "cascade" }),
    createdAt: integer("created_at").notNull(),
    createdBy: text("created_by").notNull(),
  },
  (t) => [uniqueIndex("supervisions_pk").on(t.supervisorId, t.specialistId), index("supervisions_specialist").on(t.specialistId)],
);

/**
 * Break-glass access (src/records): a staff member outside a client's care opens their record by stating a reason, for
 * a limited time; admins are alerted at once and review it later. The reason is sealed under the client's key.
 */
export const breakGlassGrants = sqliteTable(
  "break_glass_grants",
  {
    id: text("id").primaryKey(),
    staffId: text("staff_id")
      .notNull()
      .references(() => people.id, { onDelete: "cascade" }),
    clientId: text("client_id")
      .notNull()
      .references(() => people.id, { onDelete: "cascade" }),
    reason: blob("reason", { mode: "buffer" }).notNull(),
    createdAt: integer("created_at").notNull(),
    expiresAt: integer("expires_at").notNull(),
    reviewedAt: integer("reviewed_at"),
    reviewedBy: text("reviewed_by"),
    /** The reviewer's verdict: "justified" or "unjustified" (then followed up outside Kabinet). */
    verdict: text("verdict", { enum: ["justified", "unjustified"] }),
  },
  (t) => [index("break_glass_active").on(t.staffId, t.clientId, t.expiresAt), index("break_glass_review").on(t.reviewedAt, t.createdAt)],
);

/**
 * The incident register (GDPR art. 33(5), 152-FZ art. 21): personal-data breaches, when found, whose data, who was
 * notified and when. The description and the affected people (a JSON list of ids and a count) are sealed under the
 * organisation key.
 */
export const incidents = sqliteTable(
  "incidents",
  {
    id: text("id").primaryKey(),
    title: blob("title", { mode: "buffer" }).notNull(),
    description: blob("description", { mode: "buffer" }).notNull(),
    affected: blob("affected", { mode: "buffer" }).notNull(),
    affectedCount: integer("affected_count").notNull(),
    occurredAt: integer("occurred_at"),
    discoveredAt: integer("discovered_at").notNull(),
    /** The GDPR supervisory authority (art. 33). */
    authorityNotifiedAt: integer("authority_notified_at"),
    /** Roskomnadzor's first notice (152-FZ art. 21 part 3.1(1)): another authority, with its own 24-hour deadline. */
    roskomnadzorNotifiedAt: integer("roskomnadzor_notified_at"),
    subjectsNotifiedAt: integer("subjects_notified_at"),
    /** 152-FZ asks for a second report (investigation results) within 72 hours. */
    followUpAt: integer("follow_up_at"),
    createdBy: text("created_by").notNull(),
    createdAt: integer("created_at").notNull(),
    closedAt: integer("closed_at"),
  },
  (t) => [index("incidents_discovered").on(t.discoveredAt)],
);

/**
 * API tokens for integrations (src/api/tokens.ts). A token acts as the person it belongs to, narrowed by its scopes;
 * only a SHA-256 hash of the secret is kept (it is random and long: no salt or slow hash needed), shown once.
 */
export const apiTokens = sqliteTable(
  "api_tokens",
  {
    id: text("id").primaryKey(),
    personId: text("person_id")
      .notNull()
      .references(() => people.id, { onDelete: "cascade" }),
    /** What the integration is ("Clinic CRM"): chosen by staff, shown in lists and the audit log; not personal data. */
    name: text("name").notNull(),
    tokenHash: blob("token_hash", { mode: "buffer" }).notNull().unique(),
    /** The first characters of the secret, shown so people can tell their tokens apart. */
    prefix: text("prefix").notNull(),
    /** JSON array of scopes, e.g. ["appointments:read"]. */
    scopes: text("scopes").notNull(),
    /** Requests per minute allowed for this token. */
    ratePerMinute: integer("rate_per_minute").notNull(),
    createdBy: text("created_by").notNull(),
    createdAt: integer("created_at").notNull(),
    expiresAt: integer("expires_at").notNull(),
    revokedAt: integer("revoked_at"),
    revokedBy: text("revoked_by"),
    lastUsedAt: integer("last_used_at"),
  },
  (t) => [index("api_tokens_person").on(t.personId)],
);

/**
 * What a POST under an Idempotency-Key keeps for 24 hours so that a retry is answered, not repeated: never a client's
 * data or a secret (src/api/idempotency.ts). Names no person, so erasure has nothing to delete here.
 */
export const apiIdempotency = sqliteTable(
  "api_idempotency",
  {
    tokenId: text("token_id")
      .notNull()
      .references(() => apiTokens.id, { onDelete: "cascade" }),
    key: text("key").notNull(),
    /** A keyed hash (the vault's index key) of method, path, query and body: the same key with another request is refused (422). */
    requestHash: blob("request_hash", { mode: "buffer" }).notNull(),
    /** null while the first request is still being handled (a concurrent retry gets 409). */
    status: integer("status"),
    /** Sealed under the organisation's key: the ids the route reads its answer again by (an appointment's, a room's, a
     * webhook endpoint's), or a body its route declared free of personal data and secrets, or the Location alone. */
    response: blob("response", { mode: "buffer" }),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [uniqueIndex("api_idempotency_pk").on(t.tokenId, t.key), index("api_idempotency_created").on(t.createdAt)],
);

/** Where events are sent (src/webhooks/): one subscription per endpoint URL and its event types. */
export const webhookEndpoints = sqliteTable("webhook_endpoints", {
  id: text("id").primaryKey(),
  /** Sealed under the organisation's key: a URL may carry a secret of the receiver's. */
  url: blob("url", { mode: "buffer" }).notNull(),
  /** The Standard Webhooks signing secret ("whsec_…"), sealed under the organisation's key. */
  secret: blob("secret", { mode: "buffer" }).notNull(),
  /** JSON array of event types. */
  events: text("events").notNull(),
  /** The admin allowed names and contact details of clients in payloads; otherwise ids and times only. */
  personalData: integer("personal_data", { mode: "boolean" }).notNull().default(false),
  /** A host name on the organisation's own network the admin allowed (private addresses are refused otherwise). */
  internalHost: text("internal_host"),
  enabled: integer("enabled", { mode: "boolean" }).notNull().default(true),
  disabledAt: integer("disabled_at"),
  disabledReason: text("disabled_reason"),
  createdBy: text("created_by").notNull(),
  createdAt: integer("created_at").notNull(),
});

/** One event for one endpoint: its message id, payload and outcome. The delivery log. */
export const webhookDeliveries = sqliteTable(
  "webhook_deliveries",
  {
    id: text("id").primaryKey(),
    endpointId: text("endpoint_id")
      .notNull()
      .references(() => webhookEndpoints.id, { onDelete: "cascade" }),
    eventType: text("event_type").notNull(),
    /** Whose key seals the payload: the client it names (erasure shreds it), or the organisation. */
    subject: text("subject").notNull(),
    payload: blob("payload", { mode: "buffer" }).notNull(),
    status: text("status", { enum: ["pending", "delivered", "failed"] }).notNull(),
    attempts: integer("attempts").notNull().default(0),
    lastAttemptAt: integer("last_attempt_at"),
    /** The receiver's HTTP status of the last attempt; null when none came back (refused, timed out). */
    lastStatus: integer("last_status"),
    lastError: text("last_error"),
    createdAt: integer("created_at").notNull(),
    deliveredAt: integer("delivered_at"),
  },
  (t) => [index("webhook_deliveries_endpoint").on(t.endpointId, t.createdAt)],
);

/** Every attempt of a delivery: when, the receiver's status code or the reason none came, how long it took. */
export const webhookAttempts = sqliteTable(
  "webhook_attempts",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    deliveryId: text("delivery_id")
      .notNull()
      .references(() => webhookDeliveries.id, { onDelete: "cascade" }),
    at: integer("at").notNull(),
    status: integer("status"),
    error: text("error"),
    ms: integer("ms").notNull(),
  },
  (t) => [index("webhook_attempts_delivery").on(t.deliveryId)],
);

/** An uploaded CSV between preview and import (src/imports/): sealed, deleted once imported or after a day. */
export const csvImports = sqliteTable("csv_imports", {
  id: text("id").primaryKey(),
  kind: text("kind", { enum: ["clients", "specialists"] }).notNull(),
  createdBy: text("created_by").notNull(),
  content: blob("content", { mode: "buffer" }).notNull(),
  createdAt: integer("created_at").notNull(),
});

/**
 * Payments for appointments (src/payments/). Kabinet keeps the amount, the provider's reference and the status; the
 * card details stay with the provider, whose hosted page the client pays on.
 */
export const payments = sqliteTable(
  "payments",
  {
    id: text("id").primaryKey(),
    appointmentId: text("appointment_id")
      .notNull()
      .references(() => appointments.id, { onDelete: "cascade" }),
    provider: text("provider", { enum: ["stripe", "yookassa"] }).notNull(),
    /** The provider's id of the checkout (Stripe Checkout Session, YooKassa payment); null until one is opened. */
    providerRef: text("provider_ref"),
    status: text("status", { enum: ["pending", "paid", "failed", "expired", "refunded", "cancelled"] }).notNull(),
    /** "at-booking": the time is held until paid or expired; "after": asked for after the consultation. */
    kind: text("kind", { enum: ["at-booking", "after"] }).notNull(),
    amountMinor: integer("amount_minor").notNull(),
    currency: text("currency").notNull(),
    refundedMinor: integer("refunded_minor").notNull().default(0),
    /** The provider's hosted payment page for this payment (no personal data; it expires with the checkout). */
    checkoutUrl: text("checkout_url"),
    /** For payments at booking: when the held time is freed if still unpaid. */
    expiresAt: integer("expires_at"),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
    paidAt: integer("paid_at"),
  },
  (t) => [index("payments_appointment").on(t.appointmentId), uniqueIndex("payments_provider_ref").on(t.provider, t.providerRef)],
);

/** Provider notifications already applied, by the provider's event id: a notification sent twice changes nothing. */
export const paymentNotifications = sqliteTable(
  "payment_notifications",
  {
    provider: text("provider").notNull(),
    eventId: text("event_id").notNull(),
    paymentId: text("payment_id"),
    receivedAt: integer("received_at").notNull(),
  },
  (t) => [uniqueIndex("payment_notifications_pk").on(t.provider, t.eventId)],
);
