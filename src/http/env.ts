import type { Locale, Messages } from "../i18n/messages.ts";
import type { Role } from "../roles.ts";

export type SessionStage = "second-factor" | "enrol" | "full";

/** The session behind a request (the sessions domain fills it; http only reads it). */
export interface SessionInfo {
  handle: string;
  personId: string;
  stage: SessionStage;
  device: string;
  createdAt: number;
  lastSeenAt: number;
  expiresAt: number;
  reauthAt: number;
}

/** Who is asking: set only for a live session of an active account. */
export interface Viewer {
  personId: string;
  role: Role;
  name: string;
  session: SessionInfo;
}

/** The organisation as people see it on every page: its name, and its logo when the admin uploaded one. */
export interface OrgIdentity {
  name: string;
  /** Content-hashed, served from the appliance; null without a logo. */
  logoUrl: string | null;
}

/** What middleware puts on every request's context. */
export interface AppEnv {
  Variables: {
    requestId: string;
    /** The instant of this request, read once from the installation's clock. */
    now: number;
    locale: Locale;
    t: Messages;
    secureHeadersNonce?: string;
    viewer: Viewer | null;
    clientIp: string;
    /** KABINET_PUBLIC_URL: the address people use (behind the proxy the request itself is plain HTTP). */
    publicUrl: URL;
    /**
     * Whose appliance this is (null before first-run setup), for the header, titles and sign-in, and the viewer's
     * choice of clock (people.hour_cycle; null: their language's custom, or nobody signed in). Read on demand.
     */
    pageIdentity: () => { org: OrgIdentity | null; hourCycle: "h12" | "h23" | null };
  };
}
