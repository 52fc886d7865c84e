// The appointments of a period as CSV, for accounting (comma-separated with dot decimals, or semicolon-separated with
// comma decimals for Excel in a Russian locale): one row per appointment with its day and times on the
// organisation's clock, service, specialist, client (name and email), status, price and currency, its online payment
// (status, and the amount paid: a series paid at once shows it on its first session), and id.
//
// Protects: the clients in it. Admins only (the routes); the export is audited as one entry with its range, its
// specialist if chosen, and its number of rows, never names. Every cell goes through the house CSV writer
// (src/http/csv.ts), so a client who calls themself "=HYPERLINK(...)" arrives in the spreadsheet as text.
// Bounded and streamed: a range is at most EXPORT_MAX_DAYS; the appointments' rows (no personal data) are read first,
// then names are opened and written PAGE_ROWS at a time as the download is read, each person opened once.
// Known limit: the price is the service's price now (appointments do not keep their own price yet).
import { recordAudit } from "../audit/audit.ts";
import { listAppointments, type Appointment } from "../booking/appointments.ts";
import { listServices, serviceName, type Service } from "../booking/services.ts";
import { csvRow } from "../http/csv.ts";
import type { Installation } from "../installation.ts";
import type { Locale, Messages } from "../i18n/messages.ts";
import { paymentOfAppointment } from "../payments/payments.ts";
import { getPerson } from "../people/people.ts";
import { getSettings } from "../settings/settings.ts";

export const EXPORT_MAX_DAYS = 366;
const PAGE_ROWS = 200;
const encoder = new TextEncoder();

export type ExportDeps = Pick<Installation, "db" | "vault">;

export interface ExportRequest {
  /** First and last day, inclusive, on the organisation's clock. */
  from: Temporal.PlainDate;
  to: Temporal.PlainDate;
  specialistId: string | null;
  /**
   * "comma": RFC 4180 with dot decimals (3500.00), for programs and spreadsheets in English locales; "semicolon":
   * semicolon-separated with comma decimals (3500,00), which Excel in a Russian or most European locales opens in
   * columns with the amounts as numbers.
   */
  separator: ExportSeparator;
}

export const EXPORT_SEPARATORS = ["comma", "semicolon"] as const;
export type ExportSeparator = (typeof EXPORT_SEPARATORS)[number];

export interface AppointmentsExport {
  fileName: string;
  rows: number;
  body: ReadableStream<Uint8Array>;
}

/** The organisation's zone, in which the days are read and the times written. */
export function exportZone(deps: ExportDeps): string {
  return getSettings(deps.db)?.timeZone ?? "UTC";
}

/** Starts the export (audited now, as it is handed out); its rows are written as the body is read. */
export function exportAppointments(deps: ExportDeps, req: ExportRequest, who: string, t: Messages, locale: Locale, now: number): AppointmentsExport {
  const zone = exportZone(deps);
  const fromMs = req.from.toZonedDateTime({ timeZone: zone }).epochMilliseconds;
  const toMs = req.to.add({ days: 1 }).toZonedDateTime({ timeZone: zone }).epochMilliseconds;
  const list = listAppointments(deps.db, { from: fromMs, to: toMs, ...(req.specialistId ? { specialistIds: [req.specialistId] } : {}) }).filter((a) => a.start >= fromMs);
  deps.db.transaction(
    (tx) =>
      recordAudit(tx, deps.vault, {
        actor: who,
        action: "appointments.export",
        target: req.specialistId,
        details: { from: req.from.toString(), to: req.to.toString(), rows: list.length },
        at: now,
      }),
    { behavior: "immediate" },
  );
  return { fileName: `appointments-${req.from}-${req.to}.csv`, rows: list.length, body: csvStream(deps, list, { zone, t, locale, separator: req.separator }) };
}

function csvStream(deps: ExportDeps, list: readonly Appointment[], o: { zone: string; t: Messages; locale: Locale; separator: ExportSeparator }): ReadableStream<Uint8Array> {
  const { zone, t, locale } = o;
  const csv = { separator: o.separator === "semicolon" ? ";" : "," } as const;
  const amount = (minor: number) => (o.separator === "semicolon" ? (minor / 100).toFixed(2).replace(".", ",") : (minor / 100).toFixed(2));
  const services = new Map<string, Service>(listServices(deps.db).map((s) => [s.id, s]));
  const people = new Map<string, { name: string; email: string }>();
  const personOf = (id: string) => {
    let p = people.get(id);
    if (!p) {
      const found = getPerson(deps, id);
      p = found ? { name: found.name, email: found.email } : { name: "", email: "" };
      people.set(id, p);
    }
    return p;
  };
  const e = t.imports.export;
  const at = (ms: number) => Temporal.Instant.fromEpochMilliseconds(ms).toZonedDateTimeISO(zone);
  const hhmm = (ms: number) => at(ms).toPlainTime().toString({ smallestUnit: "minute" });
  const cells = (a: Appointment) => {
    const service = services.get(a.serviceId);
    const client = personOf(a.clientId);
    const payment = paymentOfAppointment(deps.db, a.id);
    const paid = payment && (payment.status === "paid" || payment.status === "refunded") ? payment.amountMinor - payment.refundedMinor : null;
    return [
      at(a.start).toPlainDate().toString(),
      hhmm(a.start),
      hhmm(a.end),
      zone,
      service ? serviceName(service, locale) : "",
      personOf(a.specialistId).name,
      client.name,
      client.email,
      e.status[a.status],
      service?.price ? amount(service.price.minor) : "",
      service?.price?.currency ?? "",
      payment ? e.payment[payment.status] : "",
      paid === null ? "" : amount(paid),
      a.id,
    ];
  };
  let next = 0;
  return new ReadableStream<Uint8Array>({
    start(controller) {
      // A byte-order mark: spreadsheet programs then read the file as UTF-8 (Cyrillic names intact).
      controller.enqueue(encoder.encode(`\ufeff${csvRow(e.header, csv)}`));
    },
    pull(controller) {
      const page = list.slice(next, next + PAGE_ROWS);
      next += page.length;
      if (page.length > 0) controller.enqueue(encoder.encode(page.map((a) => csvRow(cells(a), csv)).join("")));
      if (next >= list.length) controller.close();
    },
  });
}
