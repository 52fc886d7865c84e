// Which audit actions are reads of one client's data, and how each entry names the client. The who-read report
// (reads.ts) is only as complete as this list: a read recorded under an action missing here would silently vanish
// from the report, so test/accountability-reads.test.ts fails when any `*.view`, `*.export`, `*.download` or
// `*.break-glass` action appears in src/ without being classified below, either as a read or as not about one client.

/** What an entry's `target` names: the client themself, one of their appointments, or the room of one. */
export type ReadTarget = "client" | "appointment" | "room";

/**
 * Reads of a client's data, by action, with what their target is. Some arrive with issue 14's other parts (client
 * records, intake forms, exports, break-glass): listed ahead, so their entries count from the day they are written.
 */
export const CLIENT_READ_ACTIONS = {
  "person.view": "client", // an admin opened the person's page (name, email, phone)
  "note.view": "client", // a session note opened (its versions and draft)
  "record.view": "client", // the client record page
  "record.break-glass": "client", // the record opened outside one's care, with a stated reason
  "record.export": "client", // the client record (or the person's data) exported
  "intake.view": "client", // intake answers opened
  "appointment.view": "appointment", // an appointment opened by someone other than its client and specialist
  "file.download": "room", // a file shared in the room of an appointment
  "room.view": "room", // a consultation's chat and files, shown after the call (room-reads.ts)
  "room-summary.view": "room", // a room's details or its record's counts read through the API by someone other than its host or specialist
  "consent.view": "client", // staff opened the client's consent ledger
  "consent.download": "client", // staff downloaded the client's consent ledger as CSV
  "fhir.patient.view": "client", // a Patient (name, email, phone) read or found through the FHIR view by an API token
  "fhir.appointment.view": "appointment", // an Appointment read or found through the FHIR view by an API token
  "client-appointments.view": "client", // the client's appointments listed through the API (GET /api/v1/appointments?clientId=…)
  "fhir.patient.search": "client", // a FHIR Patient search by email, name or id: names the client when exactly one matched (else only the number)
  "fhir.appointment.search": "client", // a FHIR Appointment search by patient, actor or practitioner: names the client when it asked about one
} as const satisfies Record<string, ReadTarget>;

export type ClientReadAction = keyof typeof CLIENT_READ_ACTIONS;

/** Reads that are not about one client, and why they cannot be attributed to one: they never join the report. */
export const NOT_ONE_CLIENT_READS: Readonly<Record<string, string>> = {
  "schedule.view": "a specialist's day or week (many clients at once); its target is the specialist",
  "people.list": "the list of everyone; no target",
  "client.search": "a search by name or email on the booking form; only the number of matches is kept",
  "clients.list": "an admin's list of every client (/clients): names of many clients at once; only the number shown is kept",
  "break-glass.list": "the admins' review of break-glass grants: many clients' names and reasons at once; only the number is kept",
  "privacy-requests.list": "the queue of data-subject requests: many clients' names and notes at once; only the number open is kept",
  "fhir.practitioner.view": "a specialist's name and work contact through the FHIR view; its target is the specialist, not a client",
  "appointments.list": "appointments of many clients listed through the API (a calendar); only the number returned is kept",
  "incident.view": "an incident of the register: the people it affected, many at once; its target is the incident",
  "specialists.list": "the API's list of specialists (colleagues, not clients); only the number shown and the token's name are kept",
  "specialist.view": "the API's read of one specialist (a colleague, not a client); its target is the specialist",
  "appointments.export": "the appointments of a period as CSV for accounting: many clients at once; its target is the chosen specialist (or none), with the range and the number of rows",
};

export const BREAK_GLASS = "record.break-glass" satisfies ClientReadAction;

export function isClientRead(action: string): action is ClientReadAction {
  return Object.hasOwn(CLIENT_READ_ACTIONS, action);
}
