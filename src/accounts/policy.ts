import type { Role } from "../people/people.ts";
import type { OrgSettings } from "../settings/settings.ts";

export const STAFF_ROLES: readonly Role[] = ["admin", "specialist", "staff"];
export const ROLES: readonly Role[] = ["admin", "specialist", "staff", "client"];

/** Two-factor is mandatory for everyone who works here; for clients the organisation decides. */
export function requiresTwoFactor(role: Role, settings: OrgSettings | null): boolean {
  return STAFF_ROLES.includes(role) || settings?.clientTwoFactor === "required";
}

export function isRole(value: unknown): value is Role {
  return typeof value === "string" && (ROLES as readonly string[]).includes(value);
}
