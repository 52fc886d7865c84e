// The client address as the audit trail may name it: a keyed tag, never the address itself.
//
// signin-failures-address counts failed sign-ins by where they come from, but the audit log is kept for years, is
// read by admins and names no personal data, and an IP address is personal data. So a failure records an HMAC of the
// throttle's address (an IPv4 address or an IPv6 /64, src/http/client-ip.ts) under the vault's index key, domain-
// separated from the email index, cut to 64 bits: equal addresses give equal tags, and the tag names no address to
// anyone without the master key. Known limit: with the master key, an IPv4 tag can be reversed by trying all 2^32
// addresses; it is pseudonymous, like every id in the log, not anonymous.
import type { Vault } from "../vault/vault.ts";

const COLUMN = "audit.client-address";

export function clientAddressTag(vault: Vault, address: string): string {
  return Buffer.from(vault.blindIndex(COLUMN, address).subarray(0, 8)).toString("hex");
}
