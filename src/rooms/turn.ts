// Short-lived TURN credentials (the "TURN REST API" scheme coturn implements with use-auth-secret): the username is
// the expiry time (Unix seconds) and a label, the password is base64(HMAC-SHA1(shared secret, username)). The TURN
// server checks both without asking us. A browser thus holds credentials for one call's day, never a password that
// would let anyone who joined once use the relay for good. Without a secret, the configured fixed credentials are used.
import { createHmac, randomBytes } from "node:crypto";
import type { Config } from "../config.ts";

export const TURN_CREDENTIAL_SECONDS = 12 * 3600;

export type IceServer = { urls: string; username?: string; credential?: string };

export function turnCredential(secret: string, username: string): string {
  return createHmac("sha1", secret).update(username).digest("base64");
}

/** The ICE servers to hand out now: TURN entries carry fresh credentials when a shared secret is configured. */
export function iceServersNow(config: Pick<Config, "iceServers" | "turnSecret">, nowMs = Date.now()): IceServer[] {
  if (!config.turnSecret) return [...config.iceServers];
  const username = `${Math.floor(nowMs / 1000) + TURN_CREDENTIAL_SECONDS}:${randomBytes(6).toString("base64url")}`;
  const credential = turnCredential(config.turnSecret, username);
  return config.iceServers.map((s) => (s.urls.startsWith("turn") ? { urls: s.urls, username, credential } : { urls: s.urls }));
}

export type MediaPath = "direct" | "turn-udp" | "turn-tcp" | "turns";

/** Which relay path a TURN URL opens (RFC 7065: `turn:` is UDP unless `?transport=tcp`; `turns:` is TLS over TCP). */
export function relayPathOf(url: string): Exclude<MediaPath, "direct"> | null {
  if (url.startsWith("turns:")) return "turns";
  if (!url.startsWith("turn:")) return null;
  return /[?&]transport=tcp\b/i.test(url) ? "turn-tcp" : "turn-udp";
}
