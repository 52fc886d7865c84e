import { type Role, STAFF_ROLES } from "../roles.ts";
import type { OrgSettings } from "../settings/settings.ts";

/** Two-factor is mandatory for everyone who works here; for clients the organisation decides. */
export function requiresTwoFactor(role: Role, settings: OrgSettings | null): boolean {
  return STAFF_ROLES.includes(role) || settings?.clientTwoFactor === "required";
}
