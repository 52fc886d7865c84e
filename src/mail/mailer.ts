// Sending mail through the organisation's own SMTP server (KABINET_SMTP_URL), with nodemailer's message composer
// (MIME, encodings, attachments, headers) and its SMTP client (STARTTLS, AUTH, pipelining): the standard parts a
// maintained library does better than we would. Only those two modules are used, not the whole transport layer
// (SES, sendmail, pools, OAuth, URL fetching), and they load on first use, so an installation without mail pays
// nothing at start-up. One connection per mail: mail is rare, and nothing stays open between them.
import type SMTPConnection from "nodemailer/lib/smtp-connection";
import type { Config } from "../config.ts";

/** The job kind that sends one mail (src/mail/mail-jobs.ts); every mail Kabinet sends is queued as one. */
export const MAIL_JOB = "mail";

export interface OutgoingMail {
  /** The sender as people see it: the organisation's name before the configured address (KABINET_MAIL_FROM's). */
  from?: { name: string; address: string };
  to: string;
  subject: string;
  text: string;
  /** Stable per job, so a mail re-sent after a crash is the same message to the receiving side. */
  messageId: string;
  attachments?: { filename: string; content: string; contentType: string }[];
}

/** The server took the mail, or refused it for good (a 5xx reply to the recipient or the message). */
export type SendResult = { sent: true } | { sent: false; code: number; reason: string };

export interface Mailer {
  /** False without KABINET_SMTP_URL: mail waits in the queue and the admin pages say so. */
  readonly configured: boolean;
  /**
   * Throws when the mail may go through later (server unreachable, a 4xx reply, failed login, a refused sender:
   * the last two are the installation's to fix, so they are retried too); a permanent refusal is a result.
   */
  send(mail: OutgoingMail): Promise<SendResult>;
}

/** A 5xx reply to RCPT TO or DATA refuses this mail for good (no such mailbox, message rejected); retrying cannot help. */
function permanentRefusal(err: unknown): { code: number; reason: string } | null {
  const e = err as { responseCode?: unknown; command?: unknown; response?: unknown } | null;
  if (typeof e?.responseCode !== "number" || e.responseCode < 500 || e.responseCode > 599) return null;
  if (e.command !== "RCPT TO" && e.command !== "DATA") return null;
  // The server's words without the code (the job worker masks any address before keeping them).
  return { code: e.responseCode, reason: String(e.response ?? "").replace(/^\d{3}[ -]?/, "").trim().slice(0, 160) };
}

/** One connection to the organisation's SMTP server: the mailer sends through it, `kabinet doctor` only signs in. */
export interface SMTPSession {
  /** host:port, for messages. */
  readonly where: string;
  /** Connects and, when the URL names a user, signs in; rejects with nodemailer's error (code EAUTH, ETLS, …). */
  open(): Promise<void>;
  send(envelope: SMTPConnection.Envelope, raw: Buffer): Promise<void>;
  /** Says goodbye; errors after this are ignored. */
  close(): void;
}

export async function smtpSession(smtp: NonNullable<Config["smtp"]>, timeouts: { connectMs: number; socketMs: number }): Promise<SMTPSession> {
  const { default: Connection } = await import("nodemailer/lib/smtp-connection");
  const url = smtp.url;
  const secure = url.protocol === "smtps:";
  const user = decodeURIComponent(url.username);
  const pass = url.password ? decodeURIComponent(url.password) : smtp.password;
  const host = url.hostname.replace(/^\[|\]$/g, "");
  const port = url.port ? Number(url.port) : secure ? 465 : 587;
  // The password and the mail (sign-in codes, reset links) never cross a network in clear: smtp:// must upgrade
  // with STARTTLS, unless the server is on this machine or the admin says `?starttls=off` (a trusted LAN relay).
  const plainAllowed = url.searchParams.get("starttls") === "off" || /^(127\.\d+\.\d+\.\d+|localhost|::1)$/.test(host);
  const conn = new Connection({
    host,
    port,
    secure,
    requireTLS: !secure && !plainAllowed,
    connectionTimeout: timeouts.connectMs,
    greetingTimeout: timeouts.connectMs,
    socketTimeout: timeouts.socketMs,
  });
  // Errors arrive as events as well as callbacks; each step fails with the first one.
  let failed: ((err: Error) => void) | null = null;
  conn.on("error", (err) => failed?.(err));
  const step = (run: (done: (err?: Error | null) => void) => void) =>
    new Promise<void>((resolve, reject) => {
      failed = reject;
      run((err) => (err ? reject(err) : resolve()));
    });
  return {
    where: `${host}:${port}`,
    async open() {
      await step((done) => conn.connect(done));
      if (user) await step((done) => conn.login({ user, pass: pass ?? "" }, done));
    },
    send: (envelope, raw) => step((done) => conn.send(envelope, raw, (err) => done(err))),
    close() {
      failed = () => {};
      conn.quit();
    },
  };
}

export function smtpMailer(config: Pick<Config, "smtp" | "mailFrom">): Mailer {
  const smtp = config.smtp;
  let composer: Promise<typeof import("nodemailer/lib/mail-composer").default> | null = null;
  return {
    configured: smtp !== null,
    async send(mail) {
      if (!smtp) throw new Error("mail is not configured (KABINET_SMTP_URL)");
      composer ??= import("nodemailer/lib/mail-composer").then((m) => m.default);
      const MailComposer = await composer;
      const message = new MailComposer({ from: config.mailFrom, ...mail }).compile();
      const raw = await message.build();
      const session = await smtpSession(smtp, { connectMs: 15_000, socketMs: 30_000 });
      try {
        await session.open();
        await session.send(message.getEnvelope(), raw);
        return { sent: true };
      } catch (err) {
        const refusal = permanentRefusal(err);
        if (refusal) return { sent: false, ...refusal };
        throw err;
      } finally {
        session.close();
      }
    },
  };
}
