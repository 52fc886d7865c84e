// People with real accounts, made through the real services: setup, invitations, links, two-factor enrolment.
import { currentTOTP } from "../../src/accounts/totp.ts";
import { completeOneTimeLink } from "../../src/accounts/links.ts";
import { invitePerson } from "../../src/accounts/people-admin.ts";
import { completeSetup } from "../../src/accounts/setup.ts";
import { confirmTOTPEnrolment, startTOTPEnrolment } from "../../src/accounts/two-factor.ts";
import type { Role } from "../../src/people/people.ts";
import { createSession, type SessionStage } from "../../src/sessions/sessions.ts";
import { sessionCookieName } from "../../src/sessions/session.middleware.ts";
import type { TestInstallation } from "./installation.ts";
import { TestClient } from "./client.ts";

export interface TestPerson {
  personId: string;
  role: Role;
  email: string;
  name: string;
  password: string;
  totpSecret: string | null;
}

let counter = 0;

/** First-run setup through the real service; returns the first admin (two-factor enrolled). */
export async function setUpOrganisation(inst: TestInstallation, settings: Partial<{ selfRegistration: boolean; clientTwoFactor: "optional" | "required" }> = {}): Promise<TestPerson> {
  const admin = { name: "Ada Admin", email: `admin${++counter}@example.org`, password: "admin password long" };
  const result = await completeSetup(inst, {
    settings: { name: "Test Clinic", language: "en", timeZone: "Europe/Moscow", clientTwoFactor: settings.clientTwoFactor ?? "optional", selfRegistration: settings.selfRegistration ?? false, reminderHours: [24, 1], mailDetails: "minimal", address: "" },
    admin,
    device: "test",
  });
  if (!result) throw new Error("setup failed");
  const totpSecret = enrol(inst, result.session.personId, result.session);
  return { personId: result.session.personId, role: "admin", ...admin, totpSecret };
}

/** A person invited by `inviter`, who accepted with a password and (if asked) enrolled two-factor. */
export async function addPerson(inst: TestInstallation, inviter: string, role: Role, options: { twoFactor?: boolean; name?: string } = {}): Promise<TestPerson> {
  const n = ++counter;
  const person = { name: options.name ?? `${role} person ${n}`, email: `${role}${n}@example.org`, password: `${role} password ${n} long` };
  const invited = invitePerson(inst, { ...person, role }, inviter);
  if (invited.kind !== "invited") throw new Error("invite failed");
  const accepted = await completeOneTimeLink(inst, invited.token, person.password, "test");
  if (accepted.kind !== "invited") throw new Error(`accept failed: ${accepted.kind}`);
  const totpSecret = options.twoFactor ?? role !== "client" ? enrol(inst, invited.personId, accepted.session) : null;
  return { personId: invited.personId, role, ...person, totpSecret };
}

function enrol(inst: TestInstallation, personId: string, session: Parameters<typeof confirmTOTPEnrolment>[1]): string {
  const { secret } = startTOTPEnrolment(inst, personId);
  // A code from the previous time step, so that sign-in tests may use the current one (a code is accepted once).
  const result = confirmTOTPEnrolment(inst, session, currentTOTP(secret, Date.now() - 30_000));
  if (!result.ok) throw new Error("enrolment failed");
  return secret;
}

/** A Cookie header for a fresh session of this person at the given stage. */
export function cookieFor(inst: TestInstallation, personId: string, stage: SessionStage = "full"): string {
  const { token } = inst.db.transaction((tx) => createSession(tx, { personId, stage, device: "test" }, inst.clock.now()));
  return `${sessionCookieName(inst.config.publicUrl)}=${token}`;
}

/** An in-process client already signed in (full session) as this person. */
export function signedInClient(inst: TestInstallation, p: { personId: string }, origin = inst.config.publicUrl.origin): TestClient {
  const c = new TestClient(inst.app, origin);
  const [name, value] = cookieFor(inst, p.personId).split("=") as [string, string];
  c.cookies.set(name, value);
  return c;
}
