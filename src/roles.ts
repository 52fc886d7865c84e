// The roles a person has (DESIGN.md decision 4), spelled once: every role union, list and check uses these.
export const ROLES = ["admin", "specialist", "staff", "client"] as const;
export type Role = (typeof ROLES)[number];

/** Everyone who works for the organisation (two-factor is mandatory for them). */
export const STAFF_ROLES: readonly Role[] = ["admin", "specialist", "staff"];

/** Those who host consultations and keep working hours. */
export const HOST_ROLES: readonly Role[] = ["admin", "specialist"];

export function isRole(value: unknown): value is Role {
  return typeof value === "string" && (ROLES as readonly string[]).includes(value);
}
