// What an API token may do. A token acts as the person it belongs to (their role decides whose data they see, as in
// the web UI), narrowed further by its scopes: a scope never grants what the person's role does not allow.
import type { Role } from "../roles.ts";

export const SCOPES = {
  "appointments:read": { roles: ["admin", "specialist", "staff"], about: "Read appointments, services, specialists' free times and schedules." },
  "appointments:write": { roles: ["admin", "specialist", "staff"], about: "Book, move and cancel appointments." },
  "people:read": { roles: ["admin", "specialist", "staff"], about: "Read clients and specialists: names, emails, phones (every read is audited)." },
  "people:write": { roles: ["admin", "staff"], about: "Add clients (an invitation to set a password is sent)." },
  "rooms:write": { roles: ["admin", "specialist"], about: "Open consultation rooms and make invitation links." },
  "records:read": { roles: ["admin", "specialist"], about: "Read consultation records: chat and file contents of the token owner's rooms (audited)." },
  "webhooks:manage": { roles: ["admin"], about: "Create, change and replay webhook subscriptions." },
} as const satisfies Record<string, { roles: readonly Role[]; about: string }>;

export type Scope = keyof typeof SCOPES;

export const SCOPE_NAMES = Object.keys(SCOPES) as Scope[];

export function isScope(value: unknown): value is Scope {
  return typeof value === "string" && Object.hasOwn(SCOPES, value);
}

/** The scopes a person of this role may give a token. */
export function scopesFor(role: Role): Scope[] {
  return SCOPE_NAMES.filter((s) => (SCOPES[s].roles as readonly Role[]).includes(role));
}
