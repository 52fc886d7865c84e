// Services: what clients book. The admin names each in the organisation's language (the other language is optional
// and reads the same when left empty) and sets its timing, mode, price and cancellation window, and who offers it.
// Every change is audited.
import { randomBytes } from "node:crypto";
import { recordAudit } from "../audit/audit.ts";
import type { Queryable } from "../db/client.ts";
import type { Locale } from "../i18n/messages.ts";
import type { Vault } from "../vault/vault.ts";
import type { PaymentMode, ServiceInput } from "./booking.schema.ts";
import * as store from "./booking.store.ts";

export interface Service {
  id: string;
  /** In each language; one left empty reads as the other. */
  name: { en: string; ru: string };
  description: { en: string; ru: string };
  /** As the admin typed them (empty where they left a language out), for the service form. */
  entered: { name: { en: string; ru: string }; description: { en: string; ru: string } };
  durationMinutes: number;
  bufferBeforeMinutes: number;
  bufferAfterMinutes: number;
  mode: "online" | "in-person";
  price: { minor: number; currency: string } | null;
  cancelHours: number;
  /** Paid online: not at all, when booking (the time is held until paid), or after the consultation. */
  paymentMode: PaymentMode;
  active: boolean;
  specialistIds: string[];
}

export const CURRENCIES = ["RUB", "EUR", "USD", "GBP", "KZT", "BYN", "UAH", "CHF"] as const;

export function listServices(db: Queryable): Service[] {
  return store.listServiceRows(db).map((row) => toService(row, store.specialistIdsOf(db, row.id)));
}

export function getService(db: Queryable, id: string): Service | null {
  const row = store.getServiceRow(db, id);
  return row ? toService(row, store.specialistIdsOf(db, id)) : null;
}

/** Creates (no id) or updates a service. Specialist ids that are not specialists are dropped. */
export function saveService(deps: { db: Queryable; vault: Vault }, input: ServiceInput, actor: string, id?: string): Service {
  const specialists = new Set(store.activeSpecialistIds(deps.db));
  const specialistIds = input.specialistIds.filter((s) => specialists.has(s));
  const existing = id ? store.getServiceRow(deps.db, id) : null;
  const row: store.ServiceRow = {
    id: existing?.id ?? randomBytes(9).toString("base64url"),
    nameEn: input.nameEn,
    nameRu: input.nameRu,
    descriptionEn: input.descriptionEn,
    descriptionRu: input.descriptionRu,
    durationMinutes: input.durationMinutes,
    bufferBeforeMinutes: input.bufferBeforeMinutes,
    bufferAfterMinutes: input.bufferAfterMinutes,
    mode: input.mode,
    priceMinor: input.priceMinor,
    currency: input.priceMinor === null ? null : input.currency,
    cancelHours: input.cancelHours,
    // Payment needs a price: a service whose price was removed is no longer paid online.
    paymentMode: input.priceMinor === null ? "none" : (input.paymentMode ?? existing?.paymentMode ?? "none"),
    active: input.active,
    createdAt: existing?.createdAt ?? Date.now(),
  };
  deps.db.transaction(
    (tx) => {
      store.upsertServiceRow(tx, row);
      store.setSpecialists(tx, row.id, specialistIds);
      recordAudit(tx, deps.vault, {
        actor,
        action: existing ? "service.change" : "service.create",
        target: row.id,
        details: { durationMinutes: row.durationMinutes, mode: row.mode, active: row.active, specialists: specialistIds.length, payment: row.paymentMode },
      });
    },
    { behavior: "immediate" },
  );
  return toService(row, specialistIds);
}

export function serviceName(service: Service, locale: Locale): string {
  return service.name[locale];
}

export function formatPrice(service: Service, locale: Locale): string | null {
  if (!service.price) return null;
  return new Intl.NumberFormat(locale, { style: "currency", currency: service.price.currency }).format(service.price.minor / 100);
}

function toService(row: store.ServiceRow, specialistIds: string[]): Service {
  return {
    id: row.id,
    name: { en: row.nameEn || row.nameRu, ru: row.nameRu || row.nameEn },
    description: { en: row.descriptionEn || row.descriptionRu, ru: row.descriptionRu || row.descriptionEn },
    entered: { name: { en: row.nameEn, ru: row.nameRu }, description: { en: row.descriptionEn, ru: row.descriptionRu } },
    durationMinutes: row.durationMinutes,
    bufferBeforeMinutes: row.bufferBeforeMinutes,
    bufferAfterMinutes: row.bufferAfterMinutes,
    mode: row.mode,
    price: row.priceMinor === null ? null : { minor: row.priceMinor, currency: row.currency ?? "EUR" },
    cancelHours: row.cancelHours,
    paymentMode: row.paymentMode,
    active: row.active,
    specialistIds,
  };
}
