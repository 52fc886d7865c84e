// Idempotency keys on POST (the IETF httpapi draft's `Idempotency-Key`): a client that lost the answer to a booking
// sends the same request again with the same key and gets the first answer back, marked `Idempotent-Replayed`,
// instead of a second booking.
//
// Invariants: a key belongs to one token; it is claimed in the database before the handler runs, so a concurrent
// retry gets 409 rather than running twice; the same key with a different method, path, query or body is refused
// (422); an answer of 5xx releases the key (the request may be retried as new); kept answers (status, body, and the
// Content-Type and Location the client needs) are sealed and pruned after 24 h.
// Known limit: a claim whose answer never came (the process stopped mid-request) blocks its key for STALE_CLAIM_MS,
// then the key is taken over by the next retry: the first attempt may or may not have acted, as with any crash.
import type { MiddlewareHandler } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { problem } from "../http/problem.ts";
import type { Queryable } from "../db/client.ts";
import type { Installation } from "../installation.ts";
import { ORG_SUBJECT } from "../vault/vault.ts";
import type { ApiEnv } from "./auth.ts";
import * as store from "./tokens.store.ts";

export const IDEMPOTENCY_KEEP_MS = 24 * 3600_000;
/** A claim this old without an answer belongs to a request that died with the process. */
export const STALE_CLAIM_MS = 60_000;
/** The headers a replay gives back with the body. */
const KEPT_HEADERS = ["content-type", "location"] as const;
const KEY = /^[\x21-\x7e]{1,255}$/;

export function idempotency(deps: Pick<Installation, "db" | "vault" | "clock">): MiddlewareHandler<ApiEnv> {
  return async (c, next) => {
    const key = c.req.header("idempotency-key");
    if (c.req.method !== "POST" || key === undefined) return await next();
    if (!KEY.test(key)) return problem(c, 400, { detail: "Idempotency-Key must be 1 to 255 visible ASCII characters (a UUID is a good choice)." });
    const tokenId = c.get("holder").token.id;
    const body = await c.req.text();
    const url = new URL(c.req.url);
    // Keyed (HMAC under the vault's index key): a body may name a client, and a plain hash of it would let someone
    // holding the database confirm a guess offline.
    const requestHash = Buffer.from(deps.vault.blindIndex("api_idempotency.request_hash", `${c.req.method}\n${url.pathname}${url.search}\n${body}`));
    const now = deps.clock.now();
    store.pruneIdempotencyRows(deps.db, now - IDEMPOTENCY_KEEP_MS);
    if (!claim(deps.db, { tokenId, key, requestHash, createdAt: now })) {
      const row = store.idempotencyRow(deps.db, tokenId, key)!;
      if (!Buffer.from(row.requestHash).equals(requestHash)) {
        return problem(c, 422, { detail: "This Idempotency-Key was used for a different request. Use a new key for a new request." });
      }
      if (row.status === null || row.response === null) {
        return problem(c, 409, { detail: "A request with this Idempotency-Key is still being handled. Retry in a moment." }, { "retry-after": "1" });
      }
      const kept = readKept(deps.vault.openField(ORG_SUBJECT, "api_idempotency", "response", `${tokenId}/${key}`, row.response));
      return c.body(kept.body, row.status as ContentfulStatusCode, { ...kept.headers, "idempotent-replayed": "true" });
    }
    try {
      await next();
    } catch (err) {
      store.dropIdempotencyRow(deps.db, tokenId, key);
      throw err;
    }
    if (c.res.status >= 500) return store.dropIdempotencyRow(deps.db, tokenId, key);
    const kept: Kept = { headers: {}, body: await c.res.clone().text() };
    for (const name of KEPT_HEADERS) {
      const value = c.res.headers.get(name);
      if (value !== null) kept.headers[name] = value;
    }
    store.finishIdempotencyRow(deps.db, tokenId, key, c.res.status, Buffer.from(deps.vault.sealField(ORG_SUBJECT, "api_idempotency", "response", `${tokenId}/${key}`, JSON.stringify(kept))));
  };
}

interface Kept {
  headers: Record<string, string>;
  body: string;
}

/** Claims the key, taking over a claim left by a request that never finished. */
function claim(db: Queryable, row: Parameters<typeof store.claimIdempotencyRow>[1]): boolean {
  if (store.claimIdempotencyRow(db, row)) return true;
  const held = store.idempotencyRow(db, row.tokenId, row.key);
  if (!held || held.status !== null || held.createdAt > row.createdAt - STALE_CLAIM_MS || !Buffer.from(held.requestHash).equals(row.requestHash)) return false;
  store.dropIdempotencyRow(db, row.tokenId, row.key);
  return store.claimIdempotencyRow(db, row);
}

function readKept(text: string): Kept {
  const kept = JSON.parse(text) as Kept;
  return { headers: kept.headers, body: kept.body };
}
