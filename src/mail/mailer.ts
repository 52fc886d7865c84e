// Sending mail through the organisation's own SMTP server (KABINET_SMTP_URL), with nodemailer: SMTP, STARTTLS,
// authentication and MIME are a standard job a maintained library does better than we would. Loaded on first use,
// so an installation without mail pays nothing at start-up.
import type { Config } from "../config.ts";

export interface OutgoingMail {
  to: string;
  subject: string;
  text: string;
  /** Stable per job, so a mail re-sent after a crash is the same message to the receiving side. */
  messageId: string;
  attachments?: { filename: string; content: string; contentType: string }[];
}

export interface Mailer {
  /** False without KABINET_SMTP_URL: mail waits in the queue and the admin pages say so. */
  readonly configured: boolean;
  send(mail: OutgoingMail): Promise<void>;
}

export function smtpMailer(config: Pick<Config, "smtp" | "mailFrom">): Mailer {
  const smtp = config.smtp;
  let transport: Promise<{ sendMail(m: object): Promise<unknown> }> | null = null;
  const open = async () => {
    const nodemailer = await import("nodemailer");
    const url = smtp!.url;
    const secure = url.protocol === "smtps:";
    const user = decodeURIComponent(url.username);
    const pass = url.password ? decodeURIComponent(url.password) : smtp!.password;
    return nodemailer.createTransport({
      host: url.hostname.replace(/^\[|\]$/g, ""),
      port: url.port ? Number(url.port) : secure ? 465 : 587,
      secure,
      requireTLS: url.searchParams.get("starttls") === "required",
      auth: user ? { user, pass } : undefined,
      connectionTimeout: 15_000,
      greetingTimeout: 15_000,
      socketTimeout: 30_000,
    });
  };
  return {
    configured: smtp !== null,
    async send(mail) {
      if (!smtp) throw new Error("mail is not configured (KABINET_SMTP_URL)");
      transport ??= open();
      await (await transport).sendMail({ from: config.mailFrom, ...mail });
    },
  };
}
