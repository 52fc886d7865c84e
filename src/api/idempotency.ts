// Idempotency keys on POST (the IETF httpapi draft's `Idempotency-Key`): a client that lost the answer to a booking
// sends the same request again with the same key and gets the answer back, marked `Idempotent-Replayed`, instead of a
// second booking.
//
// Invariants: a key belongs to one token; it is claimed in the database before the handler runs, so a concurrent
// retry gets 409 rather than running twice; the same key with a different method, path, query or body is refused
// (422); an answer other than 2xx releases the key (nothing was done: the request may be retried as new).
//
// What is kept never holds personal data or a secret, so a kept answer cannot outlive an erasure, hand a client's
// data out again without an audit entry, or show a webhook's signing secret twice. Each route's handler says what
// may be kept (keepForRetry):
// - "body": the answer names no one and holds no secret (a queued test event): kept as it is, replayed as it is;
// - "reread": ids and flags only (an appointment's id, a room's id); the retry reaches the handler again, which
//   sees retryOf(c) and, instead of acting, reads the resource afresh: authorised and audited now, as it is now;
// - "rerun": the POST is a read (a lookup by email): nothing is kept, a retry is a new read.
// A handler that says nothing has its status and Location kept, and a retry gets those with a note.
// Rows are pruned after 24 h by the housekeeping timer (pruneIdempotencyKeys) and before each keyed POST.
// Known limit: a claim whose answer never came (the process stopped mid-request) blocks its key for STALE_CLAIM_MS,
// then the key is taken over by the next retry: the first attempt may or may not have acted, as with any crash.
import type { Context, MiddlewareHandler } from "hono";
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
const KEY = /^[\x21-\x7e]{1,255}$/;

/** Ids and flags a handler needs to answer a retry afresh: nothing that names a person, no secret. */
export type RetryFacts = Record<string, string | number | boolean | null>;

/** What a route lets the middleware keep of its answer (module header). */
export type RetryKeep = { kind: "body" } | { kind: "reread"; facts: RetryFacts } | { kind: "rerun" };

/** What a row holds, sealed under the organisation's key. */
type Kept =
  | { kind: "body"; body: string; contentType: string | null; location: string | null }
  | { kind: "reread"; facts: RetryFacts }
  | { kind: "status"; location: string | null };

/** Declares, in a POST handler's first run, what may be kept to answer a retry under the same key. */
export function keepForRetry(c: Context<ApiEnv>, keep: RetryKeep): void {
  c.set("retryKeep", keep);
}

/** The facts kept by the first run when this request is a retry to answer afresh; null on a first run. */
export function retryOf(c: Context<ApiEnv>): RetryFacts | null {
  return c.get("retryFacts") ?? null;
}

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
    const seal = (kept: Kept) => Buffer.from(deps.vault.sealField(ORG_SUBJECT, "api_idempotency", "response", `${tokenId}/${key}`, JSON.stringify(kept)));
    if (!claim(deps.db, { tokenId, key, requestHash, createdAt: now })) {
      const row = store.idempotencyRow(deps.db, tokenId, key)!;
      if (!Buffer.from(row.requestHash).equals(requestHash)) {
        return problem(c, 422, { detail: "This Idempotency-Key was used for a different request. Use a new key for a new request." });
      }
      if (row.status === null || row.response === null) {
        return problem(c, 409, { detail: "A request with this Idempotency-Key is still being handled. Retry in a moment." }, { "retry-after": "1" });
      }
      const kept = JSON.parse(deps.vault.openField(ORG_SUBJECT, "api_idempotency", "response", `${tokenId}/${key}`, row.response)) as Kept;
      return await replay(c, row.status, kept, next);
    }
    try {
      await next();
    } catch (err) {
      store.dropIdempotencyRow(deps.db, tokenId, key);
      throw err;
    }
    const keep = c.get("retryKeep");
    if (c.res.status < 200 || c.res.status >= 300 || keep?.kind === "rerun") return store.dropIdempotencyRow(deps.db, tokenId, key);
    const location = c.res.headers.get("location");
    const kept: Kept =
      keep?.kind === "body"
        ? { kind: "body", body: await c.res.clone().text(), contentType: c.res.headers.get("content-type"), location }
        : keep?.kind === "reread"
          ? { kind: "reread", facts: keep.facts }
          : { kind: "status", location };
    store.finishIdempotencyRow(deps.db, tokenId, key, c.res.status, seal(kept));
  };
}

/** Deletes the rows older than the keeping time (the housekeeping timer, src/server.ts); returns how many. */
export function pruneIdempotencyKeys(deps: Pick<Installation, "db">, now: number): number {
  return store.pruneIdempotencyRows(deps.db, now - IDEMPOTENCY_KEEP_MS);
}

const REPLAYED = { "idempotent-replayed": "true" } as const;

async function replay(c: Context<ApiEnv>, status: number, kept: Kept, next: () => Promise<void>): Promise<Response> {
  switch (kept.kind) {
    case "body":
      return c.body(kept.body, status as ContentfulStatusCode, { ...REPLAYED, ...(kept.contentType ? { "content-type": kept.contentType } : {}), ...(kept.location ? { location: kept.location } : {}) });
    case "status": {
      const headers = { ...REPLAYED, ...(kept.location ? { location: kept.location } : {}) };
      if (status === 204) return c.body(null, 204, headers);
      const detail = `The first request with this Idempotency-Key was done (${status}); its answer is not kept.${kept.location ? " Read the resource at Location." : ""}`;
      return c.json({ replayed: true, detail }, status as ContentfulStatusCode, headers);
    }
    case "reread": {
      c.set("retryFacts", kept.facts);
      await next();
      const res = new Response(c.res.body, c.res);
      res.headers.set("idempotent-replayed", "true");
      c.res = undefined;
      c.res = res;
      return c.res;
    }
  }
}

/** Claims the key, taking over a claim left by a request that never finished. */
function claim(db: Queryable, row: Parameters<typeof store.claimIdempotencyRow>[1]): boolean {
  if (store.claimIdempotencyRow(db, row)) return true;
  const held = store.idempotencyRow(db, row.tokenId, row.key);
  if (!held || held.status !== null || held.createdAt > row.createdAt - STALE_CLAIM_MS || !Buffer.from(held.requestHash).equals(row.requestHash)) return false;
  store.dropIdempotencyRow(db, row.tokenId, row.key);
  return store.claimIdempotencyRow(db, row);
}
