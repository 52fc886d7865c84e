// Booking fixtures through the real services: a service offered by specialists, and working hours.
import { saveAvailability } from "../../src/booking/availability.ts";
import { saveService, type Service } from "../../src/booking/services.ts";
import type { Availability } from "../../src/booking/slots.ts";
import type { TestInstallation } from "./installation.ts";

export function makeService(inst: TestInstallation, adminId: string, specialistIds: string[], o: Partial<{ durationMinutes: number; bufferAfterMinutes: number; cancelHours: number; mode: "online" | "in-person"; nameEn: string }> = {}): Service {
  return saveService(
    inst,
    {
      nameEn: o.nameEn ?? "Initial consultation",
      nameRu: "Первичная консультация",
      descriptionEn: "",
      descriptionRu: "",
      durationMinutes: o.durationMinutes ?? 50,
      bufferBeforeMinutes: 0,
      bufferAfterMinutes: o.bufferAfterMinutes ?? 10,
      mode: o.mode ?? "online",
      priceMinor: 350000,
      currency: "RUB",
      cancelHours: o.cancelHours ?? 24,
      active: true,
      specialistIds,
    },
    adminId,
  );
}

/** Every day from `start` to `end` in the zone, no notice, a year ahead. */
export function everyDay(timeZone: string, start = "08:00", end = "18:00", minNoticeMinutes = 0): Availability {
  const day = [{ start, end }];
  return { timeZone, weekly: { 1: day, 2: day, 3: day, 4: day, 5: day, 6: day, 7: day }, exceptions: {}, minNoticeMinutes, horizonDays: 365 };
}

export function setHours(inst: TestInstallation, specialistId: string, av: Availability): void {
  saveAvailability(inst, specialistId, av, specialistId);
}

/** A date `days` from today in the zone, as YYYY-MM-DD. */
export function dayAhead(days: number, timeZone = "UTC"): Temporal.PlainDate {
  return Temporal.Now.plainDateISO(timeZone).add({ days });
}

/** The instant of a wall-clock time on a date in a zone, in epoch ms. */
export function at(day: Temporal.PlainDate, time: string, timeZone = "UTC"): number {
  return day.toZonedDateTime({ timeZone, plainTime: Temporal.PlainTime.from(time) }).epochMilliseconds;
}
