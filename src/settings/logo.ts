// The organisation's logo, uploaded by an admin, shown in every page's header and served from the appliance itself.
//
// What it guards: the logo is served on our own origin to everyone, signed in or not, so it must never be something a
// browser would run. Only PNG, JPEG and WebP are taken, recognised by their first bytes (a name or a declared type
// proves nothing); SVG is refused because it can carry script. It is served with its own type, `nosniff` and a
// sandboxing CSP, at a URL named by its content hash (so it may be cached for a year and a new logo is a new URL).
// At most LOGO_MAX_BYTES, kept in the meta table so that a database backup carries it.
import { createHash } from "node:crypto";
import type { Queryable } from "../db/client.ts";
import * as store from "./settings.store.ts";

export const LOGO_MAX_BYTES = 200 * 1024;

const TYPES = { png: "image/png", jpg: "image/jpeg", webp: "image/webp" } as const;
export type LogoKind = keyof typeof TYPES;

export interface Logo {
  kind: LogoKind;
  /** The first 16 hex digits of the content's SHA-256, part of its URL. */
  hash: string;
}

/** The meta keys that describe the logo (its bytes are under "org.logo.data", read only to serve it). */
export const LOGO_KEYS = ["org.logo.kind", "org.logo.hash"] as const;

/** The image format its first bytes declare, or null for anything else (SVG, HTML, a renamed file…). */
export function logoKindOf(bytes: Uint8Array): LogoKind | null {
  const starts = (sig: readonly number[], at = 0) => sig.every((b, i) => bytes[at + i] === b);
  if (starts([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return "png";
  if (starts([0xff, 0xd8, 0xff])) return "jpg";
  if (starts([0x52, 0x49, 0x46, 0x46]) && starts([0x57, 0x45, 0x42, 0x50], 8)) return "webp"; // RIFF....WEBP
  return null;
}

export type LogoProblem = "type" | "too-large" | "empty";

export function checkLogo(bytes: Uint8Array): { ok: true; kind: LogoKind } | { ok: false; problem: LogoProblem } {
  if (bytes.length === 0) return { ok: false, problem: "empty" };
  if (bytes.length > LOGO_MAX_BYTES) return { ok: false, problem: "too-large" };
  const kind = logoKindOf(bytes);
  return kind ? { ok: true, kind } : { ok: false, problem: "type" };
}

/** Stores a checked logo in the caller's transaction, replacing any earlier one. */
export function saveLogo(tx: Queryable, kind: LogoKind, bytes: Uint8Array): Logo {
  const hash = createHash("sha256").update(bytes).digest("hex").slice(0, 16);
  store.writeMeta(tx, { "org.logo.kind": kind, "org.logo.hash": hash, "org.logo.data": Buffer.from(bytes).toString("base64") });
  return { kind, hash };
}

export function removeLogo(tx: Queryable): void {
  store.deleteMeta(tx, [...LOGO_KEYS, "org.logo.data"]);
}

/** The current logo's description (not its bytes), or null; `m` may hold LOGO_KEYS already read. */
export function getLogo(db: Queryable, m: ReadonlyMap<string, string> = store.readMeta(db, LOGO_KEYS)): Logo | null {
  const kind = m.get("org.logo.kind");
  const hash = m.get("org.logo.hash");
  return kind && hash && Object.hasOwn(TYPES, kind) ? { kind: kind as LogoKind, hash } : null;
}

export function logoUrl(logo: Logo): string {
  return `/org/logo.${logo.hash}.${logo.kind}`;
}

/** The logo's bytes and type when `file` names the current logo ("logo.<hash>.<kind>"); null for any other name. */
export function readLogoFile(db: Queryable, file: string): { type: string; body: Uint8Array<ArrayBuffer> } | null {
  const logo = getLogo(db);
  if (!logo || file !== `logo.${logo.hash}.${logo.kind}`) return null;
  const data = store.readMeta(db, ["org.logo.data"]).get("org.logo.data");
  return data ? { type: TYPES[logo.kind], body: new Uint8Array(Buffer.from(data, "base64")) } : null;
}
