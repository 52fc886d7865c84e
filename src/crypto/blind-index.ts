// Keyed blind index: lets the database find a row by an exact value (an email) without holding the value.
// HMAC-SHA-256 under a dedicated index key, so someone holding only the database cannot confirm a guess offline.
// The column name is part of the input: the same value indexes differently in two columns.
import { createHmac } from "node:crypto";

export function blindIndex(indexKey: Uint8Array, column: string, value: string): Uint8Array {
  return new Uint8Array(createHmac("sha256", indexKey).update(`${column}\0${value}`).digest());
}

/** Emails compare case-insensitively and without surrounding space, as people type them. */
export function normalizeEmail(email: string): string {
  return email.trim().normalize("NFC").toLowerCase();
}
