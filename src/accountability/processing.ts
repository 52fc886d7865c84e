// The record of processing activities (GDPR art. 30(1); 152-FZ art. 22 asks much the same of an operator's notice),
// generated from the schema: every table of src/db/schema.ts is mapped here to the processing activity it serves and
// the categories of personal data it holds, or declared free of personal data. A test fails when a table is missing
// or a mapped table no longer exists, so the record follows the schema instead of going stale in a document.
// The words (purposes, legal bases, categories) are in src/i18n/messages.ts, in both languages.

/** The processing activities, in the order the record lists them. */
export const ACTIVITIES = ["accounts", "booking", "consultations", "records", "consent", "privacy", "integrations", "security"] as const;
export type Activity = (typeof ACTIVITIES)[number];

export const DATA_CATEGORIES = [
  "identity", // name
  "contact", // email address, phone
  "credentials", // password hashes, second-factor secrets, sign-in codes and links (hashed)
  "technical", // sessions, devices, time zone and language, keyed address tags
  "appointments", // who sees whom, when, for which service; a cancellation's reason
  "payments", // amounts, status and the provider's reference of a payment (never card details)
  "communications", // chat messages and shared files of a consultation
  "health", // special category (GDPR art. 9; 152-FZ art. 10): session notes, intake answers
  "consent", // which consent text a person agreed to or withdrew, when and how
  "requests", // data-subject requests, legal holds, restrictions
  "activity", // the audit log: who did what to whose record, by pseudonymous id
  "incidents", // breach records: what happened, whose data
] as const;
export type DataCategory = (typeof DATA_CATEGORIES)[number];

/** Who the data is about. */
export const SUBJECTS = ["clients", "staff"] as const;
export type Subject = (typeof SUBJECTS)[number];

/**
 * The record types the organisation sets retention for (issue 14, item 6: src/retention's RECORD_TYPES), per
 * activity; "none": kept as long as the person's data, erased with them.
 */
export const RETENTION_TYPES = ["chat", "files", "notes", "intake", "jobs", "sessions", "audit"] as const;
export type RetentionType = (typeof RETENTION_TYPES)[number] | "none";

/** A record type's periods in days, as src/retention's getRetentionPolicy gives them; null: not set. */
export interface RetentionPeriod {
  deleteAfterDays: number | null;
  keepAtLeastDays: number | null;
}
export type RetentionPolicyView = Partial<Record<RetentionType, RetentionPeriod>>;

export interface ActivityFacts {
  subjects: readonly Subject[];
  retention: readonly RetentionType[];
}

export const ACTIVITY_FACTS: Readonly<Record<Activity, ActivityFacts>> = {
  accounts: { subjects: ["clients", "staff"], retention: ["sessions"] },
  booking: { subjects: ["clients", "staff"], retention: ["jobs"] },
  consultations: { subjects: ["clients", "staff"], retention: ["chat", "files"] },
  records: { subjects: ["clients", "staff"], retention: ["notes", "intake"] },
  consent: { subjects: ["clients", "staff"], retention: ["none"] },
  privacy: { subjects: ["clients"], retention: ["none"] },
  integrations: { subjects: ["clients", "staff"], retention: ["none"] },
  security: { subjects: ["clients", "staff"], retention: ["audit"] },
};

/** Why a table holds no personal data: the organisation's settings, its catalogue of services, or its own texts. */
export type NoPersonalData = "settings" | "catalogue" | "texts";

export type TableUse = { activity: Activity; categories: readonly DataCategory[] } | { activity: null; why: NoPersonalData };

/** Every table of the schema: what it is for, and what personal data it holds. */
export const TABLE_USES: Readonly<Record<string, TableUse>> = {
  meta: { activity: null, why: "settings" },
  services: { activity: null, why: "catalogue" },
  intake_forms: { activity: null, why: "texts" }, // the questions; the answers are intake_responses
  consent_documents: { activity: null, why: "texts" },

  people: { activity: "accounts", categories: ["identity", "contact", "technical"] },
  accounts: { activity: "accounts", categories: ["credentials"] },
  recovery_codes: { activity: "accounts", categories: ["credentials"] },
  sessions: { activity: "accounts", categories: ["technical"] },
  one_time_links: { activity: "accounts", categories: ["credentials"] },
  sign_in_failures: { activity: "accounts", categories: ["technical"] },
  email_codes: { activity: "accounts", categories: ["credentials"] },
  calendar_feeds: { activity: "booking", categories: ["credentials"] },

  service_specialists: { activity: "booking", categories: ["appointments"] },
  availability: { activity: "booking", categories: ["appointments", "technical"] },
  appointments: { activity: "booking", categories: ["appointments"] },
  jobs: { activity: "booking", categories: ["identity", "contact", "appointments"] },
  payments: { activity: "booking", categories: ["payments"] },
  payment_notifications: { activity: "booking", categories: ["payments"] },

  rooms: { activity: "consultations", categories: ["appointments", "identity"] },
  room_participants: { activity: "consultations", categories: ["appointments"] },
  room_messages: { activity: "consultations", categories: ["communications", "health"] },
  room_files: { activity: "consultations", categories: ["communications", "health"] },

  client_notes: { activity: "records", categories: ["health"] },
  client_note_versions: { activity: "records", categories: ["health"] },
  intake_responses: { activity: "records", categories: ["health"] },
  supervisions: { activity: "records", categories: ["activity"] },
  break_glass_grants: { activity: "records", categories: ["activity"] },

  consent_ledger: { activity: "consent", categories: ["consent"] },

  privacy_requests: { activity: "privacy", categories: ["requests"] },
  legal_holds: { activity: "privacy", categories: ["requests"] },
  processing_restrictions: { activity: "privacy", categories: ["requests"] },

  api_tokens: { activity: "integrations", categories: ["credentials"] },
  api_idempotency: { activity: "integrations", categories: ["appointments", "technical"] }, // 24 h: the id of the appointment a POST made, a keyed hash of the request; never a client's data or a secret
  webhook_endpoints: { activity: "integrations", categories: ["credentials"] }, // where to send, and the signing secret
  webhook_deliveries: { activity: "integrations", categories: ["appointments", "identity", "contact"] },
  webhook_attempts: { activity: "integrations", categories: ["technical"] },
  csv_imports: { activity: "integrations", categories: ["identity", "contact"] },

  data_keys: { activity: "security", categories: ["credentials"] },
  audit_log: { activity: "security", categories: ["activity"] },
  anomaly_alerts: { activity: "security", categories: ["activity"] },
  incidents: { activity: "security", categories: ["incidents"] },
};

export interface ActivityRecord {
  activity: Activity;
  tables: string[];
  categories: DataCategory[];
  subjects: readonly Subject[];
  retention: readonly RetentionType[];
}

/** The activities with the tables and categories the map gives each, categories in their catalogue order. */
export function processingRecord(): ActivityRecord[] {
  return ACTIVITIES.map((activity) => {
    const uses = Object.entries(TABLE_USES).filter((e): e is [string, Extract<TableUse, { activity: Activity }>] => e[1].activity === activity);
    const present = new Set(uses.flatMap(([, u]) => u.categories));
    return {
      activity,
      tables: uses.map(([table]) => table).sort(),
      categories: DATA_CATEGORIES.filter((c) => present.has(c)),
      subjects: ACTIVITY_FACTS[activity].subjects,
      retention: ACTIVITY_FACTS[activity].retention,
    };
  });
}

/** Tables declared free of personal data, with why. */
export function tablesWithoutPersonalData(): [string, NoPersonalData][] {
  return Object.entries(TABLE_USES).flatMap(([table, use]) => (use.activity === null ? [[table, use.why] as [string, NoPersonalData]] : []));
}
