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
  };
}
