// Configuration from KABINET_* environment variables (secrets also as *_FILE), validated once at start.
// A bad value stops the program with one line: the variable, what is wrong, and an example of a right value.
import { existsSync, readFileSync } from "node:fs";
import { isIP } from "node:net";
import { join, resolve } from "node:path";
import { z } from "zod";

const LOG_LEVELS = ["debug", "info", "warn", "error"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface Config {
  readonly dataDir: string;
  readonly listen: { readonly hostname: string; readonly port: number };
  readonly publicUrl: URL;
  /** Path of the master key file; null only when unset (allowed for `serve --dev`, which generates one). */
  readonly masterKeyFile: string | null;
  readonly previousMasterKeyFile: string | null;
  readonly logLevel: LogLevel;
  /** Sessions end after this long without a request. */
  readonly sessionIdleMinutes: number;
  /** Take the client's address from X-Forwarded-For (set when Caddy is in front). */
  readonly trustProxy: boolean;
  /** UDP ports the media server uses, inclusive. */
  readonly mediaPorts: readonly [number, number];
  /** The address browsers reach the media server at (the host's public or LAN address), if not its own. */
  readonly publicIp: string | null;
  /** Largest file a person may share in a room. */
  readonly maxUploadBytes: number;
  /** What all files shared in one room may add up to. */
  readonly roomFilesMaxBytes: number;
  /** STUN/TURN servers for browsers and the media server; empty unless configured (nothing is contacted then). */
  readonly iceServers: readonly { urls: string; username?: string; credential?: string }[];
  /** Shared secret with the TURN server (coturn `static-auth-secret`): short-lived credentials are minted per use. */
  readonly turnSecret: string | null;
  /** The organisation's mail server; null: no mail is sent (it waits in the queue, and the UI says so). */
  readonly smtp: { readonly url: URL; readonly password: string | undefined } | null;
  /** The From address of Kabinet's mail. */
  readonly mailFrom: string;
  /** The Prometheus endpoint's own listener (never through Caddy), or null when turned off; an optional bearer token. */
  readonly metrics: { readonly listen: { readonly hostname: string; readonly port: number } | null; readonly token: string | null };
  /** Scheduled sealed backups: where, how often, how many kept, the optional copy off the box, the restore drill. */
  readonly backup: {
    readonly dir: string;
    /** Hours between scheduled backups; 0: none scheduled (`kabinet backup` still works). */
    readonly everyHours: number;
    readonly keep: { readonly daily: number; readonly weekly: number; readonly monthly: number };
    /** Copy each backup off the box over SFTP: `sftp://user@host:port/dir`, a private key, the server's host key fingerprint. */
    readonly sftp: { readonly url: URL; readonly keyFile: string; readonly hostKey: string } | null;
    /** Days between automatic restore drills; 0: none. */
    readonly drillEveryDays: number;
  };
  /** The payment provider for services with a price to pay online; null: payments are off (nothing is contacted). */
  readonly payments: PaymentsConfig | null;
}

export type PaymentsConfig = {
  /** How long a booked time is held while its payment is pending. */
  readonly holdMinutes: number;
  /** The provider's API base URL: its official one unless KABINET_PAYMENTS_API_URL points elsewhere (a proxy). */
  readonly apiUrl: URL | null;
} & (
  | { readonly provider: "stripe"; readonly secretKey: string; readonly webhookSecret: string }
  | { readonly provider: "yookassa"; readonly shopId: string; readonly secretKey: string; readonly notifyFrom: readonly string[] }
);

/** YooKassa sends notifications from these networks only (its documentation, "Входящие уведомления"). */
export const YOOKASSA_NETWORKS = ["185.71.76.0/27", "185.71.77.0/27", "77.75.153.0/25", "77.75.156.11/32", "77.75.156.35/32", "77.75.154.128/25", "2a02:5180::/32"] as const;

/** Each variable with an example of a right value, shown when it is wrong; also the README's table. */
export const VARIABLES = {
  KABINET_DATA_DIR: { example: "/var/lib/kabinet", help: "Where the database, sealed files and backups live.", default: "./data" },
  KABINET_LISTEN: { example: "0.0.0.0:8080", help: "host:port the HTTP server binds (port 0 picks a free port, logged at start).", default: "127.0.0.1:8080" },
  KABINET_PUBLIC_URL: {
    example: "https://consult.example.org",
    help: "The address people use; its origin is the only one allowed to change state (CSRF), HTTPS turns on HSTS.",
    default: "http://<KABINET_LISTEN>",
  },
  KABINET_MASTER_KEY_FILE: {
    example: "/run/secrets/kabinet_master_key",
    help: "File holding the master key: 32 random bytes in base64 (`openssl rand -base64 32`). Keep it off the data volume.",
    default: "none (`npm start` generates ./data/master.key)",
  },
  KABINET_PREVIOUS_MASTER_KEY_FILE: {
    example: "/run/secrets/kabinet_old_master_key",
    help: "During a key rotation: the old master key, still accepted for data keys not yet re-wrapped.",
    default: "none",
  },
  KABINET_LOG_LEVEL: { example: "info", help: "debug, info, warn or error.", default: "info" },
  KABINET_SESSION_IDLE_MINUTES: { example: "30", help: "Minutes without activity after which a session ends (5–720); sessions end after 12 hours regardless.", default: "30" },
  KABINET_MEDIA_PORTS: {
    example: "40000-40099",
    help: "UDP port range for video and audio (each participant uses one port); publish it from the container and open it in the firewall.",
    default: "40000-40099",
  },
  KABINET_PUBLIC_IP: {
    example: "203.0.113.10",
    help: "The IPv4 address browsers reach this host at, advertised for media (needed behind NAT and in Docker).",
    default: "none (the host's own addresses)",
  },
  KABINET_MAX_UPLOAD_MB: { example: "20", help: "Largest file that can be shared in a consultation, in MB (1–200).", default: "20" },
  KABINET_ROOM_FILES_MB: { example: "500", help: "Most that all files shared in one consultation may add up to, in MB (1–100000).", default: "500" },
  KABINET_ICE_SERVERS: {
    example: "turn:turn.example.org:3478?transport=udp",
    help: "STUN/TURN servers (comma-separated stun:/turn:/turns: URLs) for networks that block direct UDP; none by default, and none is contacted then. With KABINET_TURN_SECRET_FILE and no URLs: the shipped relay on the public domain (turn: on 3478 over UDP and TCP, turns: on 5349).",
    default: "none",
  },
  KABINET_TURN_USERNAME: { example: "kabinet", help: "Username for the TURN servers in KABINET_ICE_SERVERS.", default: "none" },
  KABINET_TURN_PASSWORD_FILE: { example: "/run/secrets/turn_password", help: "File holding a fixed TURN password (also as KABINET_TURN_PASSWORD); prefer KABINET_TURN_SECRET_FILE.", default: "none" },
  KABINET_TURN_SECRET_FILE: {
    example: "/run/secrets/turn_secret",
    help: "File holding the secret shared with the TURN server (coturn: use-auth-secret, static-auth-secret): each call gets credentials valid for 12 hours instead of a fixed password.",
    default: "none",
  },
  KABINET_SMTP_URL: {
    example: "smtp://kabinet@example.org@mail.example.org:587",
    help: "The organisation's mail server for confirmations, reminders and links: smtps://, or smtp:// which must upgrade with STARTTLS (add ?starttls=off only for a trusted relay; not needed on this machine), user in the URL. Unset: mail waits in the queue.",
    default: "none",
  },
  KABINET_SMTP_PASSWORD_FILE: { example: "/run/secrets/smtp_password", help: "File holding the SMTP password (also as KABINET_SMTP_PASSWORD, or in the URL).", default: "none" },
  KABINET_MAIL_FROM: { example: "Kabinet <consult@example.org>", help: "Sender of Kabinet's mail.", default: "Kabinet <kabinet@<public host>>" },
  KABINET_METRICS_LISTEN: {
    example: "0.0.0.0:9464",
    help: "host:port of the Prometheus endpoint /metrics, a listener of its own that Caddy does not publish; off turns it off.",
    default: "127.0.0.1:9464",
  },
  KABINET_METRICS_TOKEN_FILE: { example: "/run/secrets/metrics_token", help: "File holding a bearer token Prometheus must send to /metrics (also as KABINET_METRICS_TOKEN).", default: "none" },
  KABINET_BACKUP_DIR: { example: "/backups", help: "Where sealed backups are written; best another disk than the data.", default: "<KABINET_DATA_DIR>/backups" },
  KABINET_BACKUP_EVERY_HOURS: { example: "24", help: "Hours between scheduled backups (0–168); 0 schedules none.", default: "24" },
  KABINET_BACKUP_KEEP: { example: "7d,4w,12m", help: "How many daily, weekly and monthly backups to keep.", default: "7d,4w,12m" },
  KABINET_BACKUP_SFTP_URL: { example: "sftp://backup@backup.example.org:22/kabinet", help: "Also copy each backup off the box to this SFTP directory.", default: "none" },
  KABINET_BACKUP_SFTP_KEY_FILE: { example: "/run/secrets/backup_ssh_key", help: "The SSH private key (OpenSSH format, no passphrase) for KABINET_BACKUP_SFTP_URL.", default: "none" },
  KABINET_BACKUP_SFTP_HOST_KEY: {
    example: "SHA256:uNiVztksCsDhcc0u9e8BujQXVUpKZIDTMczCvj3tD2s",
    help: "The SFTP server's host key fingerprint (`ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub`); any other key is refused.",
    default: "none",
  },
  KABINET_RESTORE_DRILL_EVERY_DAYS: { example: "7", help: "Days between automatic restore drills of the newest backup (0–90); 0: none.", default: "7" },
  KABINET_PAYMENTS: { example: "stripe", help: "Online payment for services with a price: stripe, yookassa or off. Only when set does Kabinet contact the provider (to open its hosted payment page, refund); card data never reaches the appliance.", default: "off" },
  KABINET_PAYMENT_HOLD_MINUTES: { example: "30", help: "How long a booked time is reserved while its payment is pending (5–1440); unpaid, the booking is cancelled and the time freed.", default: "30" },
  KABINET_PAYMENTS_API_URL: { example: "https://payments-proxy.example.org", help: "The provider's API through a proxy of the organisation's, if outbound traffic must pass one.", default: "the provider's own" },
  KABINET_STRIPE_SECRET_KEY_FILE: { example: "/run/secrets/stripe_secret_key", help: "File holding the Stripe secret key sk_… (also as KABINET_STRIPE_SECRET_KEY).", default: "none" },
  KABINET_STRIPE_WEBHOOK_SECRET_FILE: { example: "/run/secrets/stripe_webhook_secret", help: "File holding the signing secret whsec_… of the Stripe webhook endpoint https://<domain>/payments/webhooks/stripe (also as KABINET_STRIPE_WEBHOOK_SECRET).", default: "none" },
  KABINET_YOOKASSA_SHOP_ID: { example: "123456", help: "The YooKassa shop id (shopId).", default: "none" },
  KABINET_YOOKASSA_SECRET_KEY_FILE: { example: "/run/secrets/yookassa_secret_key", help: "File holding the YooKassa secret key live_… or test_… (also as KABINET_YOOKASSA_SECRET_KEY).", default: "none" },
  KABINET_YOOKASSA_NOTIFY_FROM: { example: "185.71.76.0/27,77.75.153.0/25", help: "Networks YooKassa notifications may come from (with KABINET_TRUST_PROXY behind Caddy).", default: "YooKassa's published list" },
  KABINET_TRUST_PROXY: {
    example: "true",
    help: "true when a reverse proxy (Caddy) is in front: the client address for sign-in throttling comes from X-Forwarded-For.",
    default: "false",
  },
} as const;

type VariableName = keyof typeof VARIABLES;

export class ConfigError extends Error {
  override readonly name = "ConfigError";
  constructor(variable: string, problem: string) {
    const example = (VARIABLES as Record<string, { example: string }>)[variable]?.example;
    super(`${variable} ${problem}${example ? ` (example: ${variable}=${example})` : ""}`);
  }
}

const optional = z.string().trim().optional().transform((v) => (v === "" ? undefined : v));

/** An optional whole number within bounds, with messages that name the unit. */
function wholeNumber(unit: string, fallback: number, min: number, max: number) {
  return optional.pipe(
    z
      .string()
      .regex(/^\d+$/, `is not a whole number of ${unit}`)
      .default(String(fallback))
      .transform(Number)
      .pipe(z.number().min(min, `is below ${min}`).max(max, `is above ${max}`)),
  );
}

const schema = z.object({
  KABINET_DATA_DIR: optional,
  KABINET_LISTEN: optional.pipe(
    z
      .string()
      .regex(/^(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/, "is not host:port")
      .refine((v) => Number(v.slice(v.lastIndexOf(":") + 1)) <= 65535, "has a port above 65535")
      .default("127.0.0.1:8080"),
  ),
  KABINET_PUBLIC_URL: optional.pipe(
    z
      .url({ protocol: /^https?$/, error: "is not an http(s) URL" })
      .refine((v) => {
        if (!URL.canParse(v)) return true; // already reported by .url()
        const u = new URL(v);
        return u.pathname === "/" && !u.search && !u.hash && !u.username && !u.password;
      }, "must be an origin only, without path, query or credentials")
      .optional(),
  ),
  KABINET_MASTER_KEY_FILE: optional,
  KABINET_PREVIOUS_MASTER_KEY_FILE: optional,
  KABINET_LOG_LEVEL: optional.pipe(z.enum(LOG_LEVELS, { error: `is not one of ${LOG_LEVELS.join(", ")}` }).default("info")),
  KABINET_SESSION_IDLE_MINUTES: wholeNumber("minutes", 30, 5, 720),
  KABINET_TRUST_PROXY: optional.pipe(z.enum(["true", "false"], { error: "is not true or false" }).default("false")),
  KABINET_MEDIA_PORTS: optional.pipe(
    z
      .string()
      .regex(/^\d{1,5}-\d{1,5}$/, "is not a range like 40000-40099")
      .default("40000-40099")
      .transform((v) => v.split("-").map(Number) as [number, number])
      .refine(([a, b]) => a >= 1024 && b <= 65535 && b > a, "must be two ports between 1024 and 65535, the first lower"),
  ),
  KABINET_PUBLIC_IP: optional.pipe(z.ipv4({ error: "is not an IPv4 address" }).optional()),
  KABINET_MAX_UPLOAD_MB: wholeNumber("MB", 20, 1, 200),
  KABINET_ROOM_FILES_MB: wholeNumber("MB", 500, 1, 100_000),
  KABINET_ICE_SERVERS: optional.pipe(
    z
      .string()
      .transform((v) => v.split(",").map((u) => u.trim()).filter(Boolean))
      .refine((urls) => urls.every((u) => /^(stun|turns?):[^\s,]+$/.test(u)), "must be stun:, turn: or turns: URLs separated by commas")
      .optional(),
  ),
  KABINET_TURN_USERNAME: optional,
  KABINET_TURN_PASSWORD: optional,
  KABINET_TURN_PASSWORD_FILE: optional,
  KABINET_TURN_SECRET: optional,
  KABINET_TURN_SECRET_FILE: optional,
  KABINET_SMTP_URL: optional.pipe(z.url({ protocol: /^smtps?$/, error: "is not an smtp:// or smtps:// URL" }).optional()),
  KABINET_SMTP_PASSWORD: optional,
  KABINET_SMTP_PASSWORD_FILE: optional,
  KABINET_METRICS_LISTEN: optional.pipe(
    z
      .string()
      .regex(/^(off|(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+):(\d{1,5}))$/, "is not host:port or off")
      .refine((v) => v === "off" || Number(v.slice(v.lastIndexOf(":") + 1)) <= 65535, "has a port above 65535")
      .default("127.0.0.1:9464"),
  ),
  KABINET_METRICS_TOKEN: optional,
  KABINET_METRICS_TOKEN_FILE: optional,
  KABINET_BACKUP_DIR: optional,
  KABINET_BACKUP_EVERY_HOURS: wholeNumber("hours", 24, 0, 168),
  KABINET_BACKUP_KEEP: optional.pipe(
    z
      .string()
      .regex(/^\d{1,3}d,\d{1,3}w,\d{1,3}m$/, "is not daily, weekly and monthly counts like 7d,4w,12m")
      .default("7d,4w,12m")
      .transform((v) => v.split(",").map((p) => Number(p.slice(0, -1))) as [number, number, number])
      .refine(([d, w, m]) => d + w + m > 0, "keeps no backup at all"),
  ),
  KABINET_BACKUP_SFTP_URL: optional.pipe(
    z
      .url({ protocol: /^sftp$/, error: "is not an sftp:// URL" })
      .refine((v) => !URL.canParse(v) || (new URL(v).username !== "" && !new URL(v).password), "must name a user and no password (the key file signs in)")
      .optional(),
  ),
  KABINET_BACKUP_SFTP_KEY_FILE: optional,
  KABINET_BACKUP_SFTP_HOST_KEY: optional.pipe(z.string().regex(/^SHA256:[A-Za-z0-9+/]{43}=?$/, "is not a SHA256:… fingerprint as ssh-keygen -lf prints it").optional()),
  KABINET_RESTORE_DRILL_EVERY_DAYS: wholeNumber("days", 7, 0, 90),
  KABINET_PAYMENTS: optional.pipe(z.enum(["off", "stripe", "yookassa"], { error: "is not stripe, yookassa or off" }).default("off")),
  KABINET_PAYMENT_HOLD_MINUTES: wholeNumber("minutes", 30, 5, 1440),
  KABINET_PAYMENTS_API_URL: optional.pipe(z.url({ protocol: /^https?$/, error: "is not an http(s):// URL" }).optional()),
  KABINET_STRIPE_SECRET_KEY: optional,
  KABINET_STRIPE_SECRET_KEY_FILE: optional,
  KABINET_STRIPE_WEBHOOK_SECRET: optional,
  KABINET_STRIPE_WEBHOOK_SECRET_FILE: optional,
  KABINET_YOOKASSA_SHOP_ID: optional.pipe(z.string().regex(/^\d{1,12}$/, "is not a YooKassa shop id (digits)").optional()),
  KABINET_YOOKASSA_SECRET_KEY: optional,
  KABINET_YOOKASSA_SECRET_KEY_FILE: optional,
  KABINET_YOOKASSA_NOTIFY_FROM: optional,
  KABINET_MAIL_FROM: optional.pipe(z.string().regex(/^([^<>@\r\n]*<[^<>\s@]+@[^<>\s@]+>|[^<>\s@]+@[^<>\s@]+)$/, "is not an address like Name <name@example.org>").optional()),
});

export function loadConfig(env: Record<string, string | undefined> = process.env, cwd: string = process.cwd()): Config {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const name = String(issue.path[0]);
    throw new ConfigError(name, `${issue.message}: "${shownValue(name, env[name] ?? "")}"`);
  }
  const v = parsed.data;
  const sep = v.KABINET_LISTEN.lastIndexOf(":");
  const hostname = v.KABINET_LISTEN.slice(0, sep).replace(/^\[|\]$/g, "");
  const port = Number(v.KABINET_LISTEN.slice(sep + 1));
  const localHost = hostname === "0.0.0.0" || hostname === "::" ? "127.0.0.1" : v.KABINET_LISTEN.slice(0, sep);

  const keyFile = (name: "KABINET_MASTER_KEY_FILE" | "KABINET_PREVIOUS_MASTER_KEY_FILE"): string | null => {
    const path = v[name];
    if (path === undefined) return null;
    const full = resolve(cwd, path);
    if (!existsSync(full)) throw new ConfigError(name, `names ${full}, which does not exist`);
    return full;
  };

  const publicUrl = new URL(v.KABINET_PUBLIC_URL ?? `http://${localHost}:${port}`);
  const turnSecret = secretValue("KABINET_TURN_SECRET", v.KABINET_TURN_SECRET, v.KABINET_TURN_SECRET_FILE, cwd) || null;
  return Object.freeze({
    dataDir: resolve(cwd, v.KABINET_DATA_DIR ?? "./data"),
    listen: Object.freeze({ hostname, port }),
    publicUrl,
    masterKeyFile: keyFile("KABINET_MASTER_KEY_FILE"),
    previousMasterKeyFile: keyFile("KABINET_PREVIOUS_MASTER_KEY_FILE"),
    logLevel: v.KABINET_LOG_LEVEL,
    sessionIdleMinutes: v.KABINET_SESSION_IDLE_MINUTES,
    trustProxy: v.KABINET_TRUST_PROXY === "true",
    mediaPorts: Object.freeze(v.KABINET_MEDIA_PORTS) as readonly [number, number],
    publicIp: v.KABINET_PUBLIC_IP ?? null,
    maxUploadBytes: v.KABINET_MAX_UPLOAD_MB * 1024 * 1024,
    roomFilesMaxBytes: v.KABINET_ROOM_FILES_MB * 1024 * 1024,
    iceServers: Object.freeze(iceServers(v.KABINET_ICE_SERVERS ?? (turnSecret ? shippedRelayUrls(publicUrl.hostname) : []), v.KABINET_TURN_USERNAME, turnPassword(v, cwd))),
    turnSecret,
    smtp: v.KABINET_SMTP_URL
      ? Object.freeze({ url: new URL(v.KABINET_SMTP_URL), password: secretValue("KABINET_SMTP_PASSWORD", v.KABINET_SMTP_PASSWORD, v.KABINET_SMTP_PASSWORD_FILE, cwd) })
      : null,
    mailFrom: v.KABINET_MAIL_FROM ?? `Kabinet <kabinet@${new URL(v.KABINET_PUBLIC_URL ?? `http://${localHost}:${port}`).hostname}>`,
    metrics: Object.freeze({
      listen: v.KABINET_METRICS_LISTEN === "off" ? null : Object.freeze(hostPort(v.KABINET_METRICS_LISTEN)),
      token: secretValue("KABINET_METRICS_TOKEN", v.KABINET_METRICS_TOKEN, v.KABINET_METRICS_TOKEN_FILE, cwd) || null,
    }),
    backup: Object.freeze({
      dir: resolve(cwd, v.KABINET_BACKUP_DIR ?? join(v.KABINET_DATA_DIR ?? "./data", "backups")),
      everyHours: v.KABINET_BACKUP_EVERY_HOURS,
      keep: Object.freeze({ daily: v.KABINET_BACKUP_KEEP[0], weekly: v.KABINET_BACKUP_KEEP[1], monthly: v.KABINET_BACKUP_KEEP[2] }),
      sftp: backupSftp(v, cwd),
      drillEveryDays: v.KABINET_RESTORE_DRILL_EVERY_DAYS,
    }),
    payments: paymentsConfig(v, cwd),
  });
}

function paymentsConfig(v: z.infer<typeof schema>, cwd: string): PaymentsConfig | null {
  const common = { holdMinutes: v.KABINET_PAYMENT_HOLD_MINUTES, apiUrl: v.KABINET_PAYMENTS_API_URL ? new URL(v.KABINET_PAYMENTS_API_URL) : null };
  const required = (name: string, value: string | undefined, file: string | undefined): string => {
    const secret = secretValue(name, value, file, cwd);
    if (!secret) throw new ConfigError(`${name}_FILE`, `(or ${name}) is not set, or names an empty file, and KABINET_PAYMENTS=${v.KABINET_PAYMENTS} needs it`);
    return secret;
  };
  switch (v.KABINET_PAYMENTS) {
    case "off":
      return null;
    case "stripe":
      return Object.freeze({
        ...common,
        provider: "stripe" as const,
        secretKey: required("KABINET_STRIPE_SECRET_KEY", v.KABINET_STRIPE_SECRET_KEY, v.KABINET_STRIPE_SECRET_KEY_FILE),
        webhookSecret: required("KABINET_STRIPE_WEBHOOK_SECRET", v.KABINET_STRIPE_WEBHOOK_SECRET, v.KABINET_STRIPE_WEBHOOK_SECRET_FILE),
      });
    case "yookassa": {
      if (!v.KABINET_YOOKASSA_SHOP_ID) throw new ConfigError("KABINET_YOOKASSA_SHOP_ID", "is not set, and KABINET_PAYMENTS=yookassa needs it");
      const notifyFrom = v.KABINET_YOOKASSA_NOTIFY_FROM ? v.KABINET_YOOKASSA_NOTIFY_FROM.split(",").map((n) => n.trim()) : [...YOOKASSA_NETWORKS];
      for (const n of notifyFrom) if (!isNetwork(n)) throw new ConfigError("KABINET_YOOKASSA_NOTIFY_FROM", `has "${n}", which is not an address or a network like 185.71.76.0/27`);
      return Object.freeze({
        ...common,
        provider: "yookassa" as const,
        shopId: v.KABINET_YOOKASSA_SHOP_ID,
        secretKey: required("KABINET_YOOKASSA_SECRET_KEY", v.KABINET_YOOKASSA_SECRET_KEY, v.KABINET_YOOKASSA_SECRET_KEY_FILE),
        notifyFrom: Object.freeze(notifyFrom),
      });
    }
  }
}

function isNetwork(value: string): boolean {
  const [address, bits, ...rest] = value.split("/");
  if (rest.length || !address || isIP(address) === 0) return false;
  if (bits === undefined) return true;
  const n = Number(bits);
  return /^\d{1,3}$/.test(bits) && n <= (isIP(address) === 4 ? 32 : 128);
}

function hostPort(value: string): { hostname: string; port: number } {
  const sep = value.lastIndexOf(":");
  return { hostname: value.slice(0, sep).replace(/^\[|\]$/g, ""), port: Number(value.slice(sep + 1)) };
}

/** The SFTP copy needs all three settings; one without the others is a mistake worth stopping for. */
function backupSftp(
  v: { KABINET_BACKUP_SFTP_URL?: string; KABINET_BACKUP_SFTP_KEY_FILE?: string; KABINET_BACKUP_SFTP_HOST_KEY?: string },
  cwd: string,
): Config["backup"]["sftp"] {
  if (!v.KABINET_BACKUP_SFTP_URL) {
    // A key file alone is fine (compose always mounts the secret, empty when unused); a pinned host key alone is a
    // half-done setup worth stopping for.
    if (v.KABINET_BACKUP_SFTP_HOST_KEY) throw new ConfigError("KABINET_BACKUP_SFTP_URL", "is not set, but KABINET_BACKUP_SFTP_HOST_KEY is");
    return null;
  }
  if (!v.KABINET_BACKUP_SFTP_KEY_FILE) throw new ConfigError("KABINET_BACKUP_SFTP_KEY_FILE", "is not set; the SFTP copy signs in with a key");
  if (!v.KABINET_BACKUP_SFTP_HOST_KEY) throw new ConfigError("KABINET_BACKUP_SFTP_HOST_KEY", "is not set; without it the SFTP server could not be told from an impostor");
  const keyFile = resolve(cwd, v.KABINET_BACKUP_SFTP_KEY_FILE);
  if (!existsSync(keyFile)) throw new ConfigError("KABINET_BACKUP_SFTP_KEY_FILE", `names ${keyFile}, which does not exist`);
  return Object.freeze({ url: new URL(v.KABINET_BACKUP_SFTP_URL), keyFile, hostKey: v.KABINET_BACKUP_SFTP_HOST_KEY });
}

/**
 * The relay the compose `turn` profile runs (config/turnserver.conf) on the public domain: TURN over UDP and TCP on
 * 3478 and over TLS on 5349. A shared secret without URLs means that relay, so enabling it takes one setting.
 */
export function shippedRelayUrls(host: string): string[] {
  return [`turn:${host}:3478?transport=udp`, `turn:${host}:3478?transport=tcp`, `turns:${host}:5349?transport=tcp`];
}

function turnPassword(v: { KABINET_TURN_PASSWORD?: string; KABINET_TURN_PASSWORD_FILE?: string }, cwd: string): string | undefined {
  return secretValue("KABINET_TURN_PASSWORD", v.KABINET_TURN_PASSWORD, v.KABINET_TURN_PASSWORD_FILE, cwd);
}

/** A secret given directly or, better, as a file (`<NAME>_FILE`). */
function secretValue(name: string, value: string | undefined, file: string | undefined, cwd: string): string | undefined {
  if (file) {
    const path = resolve(cwd, file);
    if (!existsSync(path)) throw new ConfigError(`${name}_FILE`, `names ${path}, which does not exist`);
    return readSecretFile(`${name}_FILE`, path).trim();
  }
  return value;
}

function iceServers(urls: string[], username: string | undefined, credential: string | undefined): { urls: string; username?: string; credential?: string }[] {
  return urls.map((url) => (url.startsWith("turn") ? { urls: url, ...(username ? { username } : {}), ...(credential ? { credential } : {}) } : { urls: url }));
}

/** A wrong value as it may be shown in an error: secrets never, URLs without their credentials. */
function shownValue(name: string, value: string): string {
  if (/(PASSWORD|TOKEN|SECRET)(?!_FILE)/.test(name)) return "<hidden>";
  return value.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/@\s]*@/i, "$1<credentials>@");
}

/** Reads a secret file's text, or throws a ConfigError naming the variable. */
export function readSecretFile(variable: string, path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code ?? "error";
    const uid = process.getuid?.() ?? "of the service";
    const fix =
      code === "EACCES" || code === "EPERM"
        ? `: permission denied; make it readable by the user Kabinet runs as (uid ${uid}), e.g. chown ${uid} ${path}`
        : code === "ENOENT"
          ? ": no such file; check the path"
          : "";
    throw new ConfigError(variable, `names ${path}, which cannot be read (${code})${fix}`);
  }
}
