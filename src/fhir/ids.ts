// How Kabinet's ids appear in FHIR. A FHIR id is 1–64 of [A-Za-z0-9-.]; Kabinet's are UUIDs (people) or base64url
// (appointments, services), whose "_" FHIR does not allow: it is written "." (base64url never holds a "."), so the
// mapping is one to one. Schedules and slots are not stored: a Schedule is one specialist's bookable time for one
// service, its id "<specialist uuid>.<service id>"; a Slot adds its start, "<schedule id>.<start in base36 ms>".

export function toFhirId(id: string): string {
  return id.replaceAll("_", ".");
}

export function fromFhirId(id: string): string {
  return id.replaceAll(".", "_");
}

/** A valid FHIR id (what a path or reference may carry before it is looked up). */
export function isFhirId(id: string): boolean {
  return /^[A-Za-z0-9\-.]{1,64}$/.test(id);
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export interface ScheduleKey {
  specialistId: string;
  serviceId: string;
}

export function scheduleId(k: ScheduleKey): string {
  return `${k.specialistId}.${toFhirId(k.serviceId)}`;
}

export function parseScheduleId(id: string): ScheduleKey | null {
  const specialistId = id.slice(0, 36);
  const service = id.slice(37);
  if (!UUID.test(specialistId) || id[36] !== "." || !service || !isFhirId(id)) return null;
  return { specialistId, serviceId: fromFhirId(service) };
}

export function slotId(k: ScheduleKey, start: number): string {
  return `${scheduleId(k)}.${start.toString(36)}`;
}

export function parseSlotId(id: string): (ScheduleKey & { start: number }) | null {
  const dot = id.lastIndexOf(".");
  const schedule = parseScheduleId(id.slice(0, dot));
  const start = Number.parseInt(id.slice(dot + 1), 36);
  if (!schedule || !/^[0-9a-z]{1,12}$/.test(id.slice(dot + 1)) || !Number.isSafeInteger(start)) return null;
  return { ...schedule, start };
}

/** The FHIR base of this installation, e.g. https://consult.example.org/fhir/R4 (no trailing slash). */
export function fhirBase(publicUrl: URL): string {
  return new URL("/fhir/R4", publicUrl).toString();
}

/** The identifier system of Kabinet's person ids, and the code systems of services and of the video service. */
export function systems(publicUrl: URL): { person: string; service: string; channel: string } {
  const base = fhirBase(publicUrl);
  return { person: `${base}/sid/person`, service: `${base}/CodeSystem/service`, channel: `${base}/CodeSystem/virtual-service-type` };
}

/** The id in a reference "Type/id" (or this server's full URL of it) to a resource of this type; null for anything else. */
export function referencedId(reference: string | undefined, type: string, base: string): string | null {
  if (!reference) return null;
  const relative = reference.startsWith(`${base}/`) ? reference.slice(base.length + 1) : reference;
  const m = /^([A-Za-z]+)\/([A-Za-z0-9\-.]{1,64})$/.exec(relative);
  return m && m[1] === type ? m[2]! : null;
}

/** Epoch ms as a FHIR instant (UTC, seconds precision as Kabinet's times have no finer). */
export function instant(ms: number): string {
  return new Date(ms).toISOString().replace(".000Z", "Z");
}
