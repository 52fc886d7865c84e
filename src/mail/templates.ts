// Mail templates by key. mail/ only sends: each domain writes its own mails (booking, accounts) and hands its
// renderers, keyed "<domain>.<mail>", to the job worker where the installation is wired (src/worker.ts). A queued mail
// names its template in its payload, `{ template: "booking.confirmation", ...data }`; a key nobody registered fails
// the job at once with the reason, rather than being retried or guessed at from the payload's shape.
import type { Queryable } from "../db/client.ts";
import type { Locale } from "../i18n/messages.ts";
import { enqueue } from "../jobs/queue.ts";
import type { Vault } from "../vault/vault.ts";
import { MAIL_JOB, type OutgoingMail } from "./mailer.ts";

/** What a renderer may read when it writes a mail, at send time. */
export interface MailContext {
  db: Queryable;
  vault: Vault;
  /** The installation's public origin, for links. */
  origin: string;
  /** The address mail is sent from (KABINET_MAIL_FROM), e.g. a calendar invitation's organiser. */
  fromAddress: string;
  /** The organisation that sends it: the sender's name, and what the subject and signature name. */
  org: { name: string };
  now: number;
  /** The queued job: its id and the person it is addressed to. */
  job: { id: number; recipient: string };
  /** The mails queued for the same person after this one (e.g. those of later changes), oldest first. */
  laterMails(): QueuedMail[];
}

export interface QueuedMail {
  template: string | null;
  data: Record<string, unknown>;
}

/** What a template writes: the body without signature, and the reader's language for the signature mail-jobs.ts adds. */
export type RenderedMail = Omit<OutgoingMail, "messageId" | "from"> & { locale: Locale };

/** A mail to send, or why there is nothing (true) to say any more: the job then ends unsent, with that reason. */
export type MailDecision = { send: RenderedMail } | { skip: string };

export type MailRenderer = (ctx: MailContext, data: Record<string, unknown>) => MailDecision;
export type MailTemplates = Readonly<Record<string, MailRenderer>>;

/** A renderer for data of a known shape: the data is what `queueMail` stored for this key. */
export function mailTemplate<D extends object>(render: (ctx: MailContext, data: D) => MailDecision): MailRenderer {
  return render as unknown as MailRenderer;
}

/** Queues a mail in the caller's transaction; false if one with this key exists already. */
export function queueMail<D extends object>(tx: Queryable, vault: Vault, template: string, m: { dedupeKey: string; recipient: string; data: D; runAt: number }, now: number): boolean {
  return enqueue(tx, vault, { kind: MAIL_JOB, dedupeKey: m.dedupeKey, subject: m.recipient, payload: { ...m.data, template }, runAt: m.runAt }, now);
}

// Names mail was queued under before templates had domain keys: such jobs may still wait in a database (a reminder
// months ahead), with the same data, and are sent by the template that took over the name.
const FORMER_NAMES: Readonly<Record<string, string>> = {
  confirmation: "booking.confirmation",
  reminder: "booking.reminder",
  changed: "booking.changed",
  cancelled: "booking.cancelled",
  link: "account.link",
  "email-code": "account.email-code",
};

/** The template key a queued mail's payload names, or null if it names none. */
export function mailTemplateOf(payload: unknown): string | null {
  const name = (payload as { template?: unknown } | null)?.template;
  if (typeof name !== "string") return null;
  return FORMER_NAMES[name] ?? name;
}
