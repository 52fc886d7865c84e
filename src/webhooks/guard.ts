// The SSRF guard: a webhook URL is typed by an admin (or an API token), and the appliance then makes requests to it
// from inside the organisation's network. Without this check, such a URL could reach the appliance's own ports, the
// organisation's intranet or a cloud metadata service and report back what answered.
//
// Invariants: only http and https, no credentials in the URL; the host is resolved ONCE per attempt, every address
// it resolves to must be allowed (addresses.ts), and the request then connects to the checked address (send.ts pins
// it), so a name that answers a public address to the check and a private one to the connection (DNS rebinding)
// reaches nothing. Redirects are never followed. The check runs when the endpoint is saved and again at every attempt.
// An admin may allow one exact host name (or IP) per endpoint on the organisation's own network; that lifts the
// private-network refusals for that host only, never the metadata, multicast or unspecified ones.
import { lookup } from "node:dns/promises";
import { type AddressKind, classifyAddress, INTERNAL_KINDS } from "./addresses.ts";

export type UrlProblem =
  | { problem: "malformed" }
  | { problem: "scheme" }
  | { problem: "credentials" }
  | { problem: "internal-host-mismatch"; host: string }
  | { problem: "unresolved"; host: string }
  | { problem: "address"; host: string; address: string; kind: AddressKind };

export interface PinnedAddress {
  address: string;
  family: 4 | 6;
}

export type Resolver = (host: string) => Promise<PinnedAddress[]>;

const DNS_TIMEOUT_MS = 5_000;
export const URL_MAX = 2000;

/** The system resolver (hosts file, then DNS), every address, bounded in time. */
export const systemResolver: Resolver = async (host) => {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error("DNS timed out")), DNS_TIMEOUT_MS)));
  try {
    const found = await Promise.race([lookup(host, { all: true, verbatim: true }), timeout]);
    return found.map((a) => ({ address: a.address, family: a.family === 6 ? 6 : 4 }));
  } finally {
    clearTimeout(timer);
  }
};

/** A webhook URL's shape: http(s), no user or password, no fragment; the host lower-cased. */
export function parseWebhookUrl(text: string): { ok: true; url: URL } | { ok: false; problem: UrlProblem } {
  if (text.length > URL_MAX) return { ok: false, problem: { problem: "malformed" } };
  let url: URL;
  try {
    url = new URL(text.trim());
  } catch {
    return { ok: false, problem: { problem: "malformed" } };
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") return { ok: false, problem: { problem: "scheme" } };
  if (url.username || url.password) return { ok: false, problem: { problem: "credentials" } };
  if (!url.hostname) return { ok: false, problem: { problem: "malformed" } };
  url.hash = "";
  return { ok: true, url };
}

/** The URL's host as it is compared with an internal-host allowance (no brackets, lower case). */
export function hostOf(url: URL): string {
  return url.hostname.replace(/^\[(.*)\]$/, "$1").toLowerCase();
}

/** An allowance as typed: a host name or IP, compared exactly (lower case, no brackets, no port). */
export function normaliseInternalHost(text: string | null | undefined): string | null {
  const host = (text ?? "").trim().toLowerCase().replace(/^\[(.*)\]$/, "$1");
  return host === "" ? null : host;
}

/**
 * Resolves the URL's host and checks every address; the one to connect to, or why not. `internalHost`: the
 * admin's allowance for this endpoint (null: none).
 */
export async function checkDestination(url: URL, internalHost: string | null, resolve: Resolver = systemResolver): Promise<{ ok: true; pinned: PinnedAddress } | { ok: false; problem: UrlProblem }> {
  const host = hostOf(url);
  if (internalHost !== null && internalHost !== host) return { ok: false, problem: { problem: "internal-host-mismatch", host } };
  const literal = classifyAddress(host);
  let addresses: PinnedAddress[];
  if (literal !== "invalid") addresses = [{ address: host, family: host.includes(":") ? 6 : 4 }];
  else {
    try {
      addresses = await resolve(host);
    } catch {
      addresses = [];
    }
    if (addresses.length === 0) return { ok: false, problem: { problem: "unresolved", host } };
  }
  for (const a of addresses) {
    const kind = classifyAddress(a.address);
    const allowed = kind === "public" || (internalHost !== null && INTERNAL_KINDS.has(kind));
    if (!allowed) return { ok: false, problem: { problem: "address", host, address: a.address, kind } };
  }
  return { ok: true, pinned: addresses[0]! };
}

/** The problem in one English sentence (API problem details, the delivery log). */
export function describeUrlProblem(p: UrlProblem): string {
  switch (p.problem) {
    case "malformed":
      return "The URL is not a valid absolute URL.";
    case "scheme":
      return "Only http and https URLs can receive webhooks.";
    case "credentials":
      return "The URL must not contain a user name or password; put a secret in the path or query instead.";
    case "internal-host-mismatch":
      return `The allowed internal host must be exactly the URL's host (${p.host}).`;
    case "unresolved":
      return `The host ${p.host} could not be resolved.`;
    case "address":
      return `${p.host === p.address ? p.address : `${p.host} resolves to ${p.address}, which`} is ${/^[aeiou]/.test(p.kind) ? "an" : "a"} ${p.kind} address: webhooks are not sent there${INTERNAL_KINDS.has(p.kind) ? " unless an admin allows this host as an internal host" : ""}.`;
  }
}
