// One HTTP POST of a webhook to an address the guard checked (guard.ts). The connection goes to that address and
// nowhere else: node:http's `lookup` hook answers every lookup with it (verified under Bun for http and https, where
// the certificate is still checked against the URL's host name and SNI carries it), and the Host header stays the
// URL's. No connection pool (a pooled socket could outlive its check), no redirects (node:http follows none), a hard
// time limit on the whole exchange, and the answer's body is read only up to a few kilobytes and thrown away.
import http from "node:http";
import https from "node:https";
import type { LookupFunction } from "node:net";
import type { PinnedAddress } from "./guard.ts";
import { describeNetworkFailure } from "./reasons.ts";

export const SEND_TIMEOUT_MS = 10_000;
const BODY_READ_LIMIT = 16 * 1024;

/** Why no answer came, as data: worded in the reader's language where it is shown (reasons.ts). */
export type NetworkFailure =
  | { failure: "refused" | "reset" | "unreachable" | "timed-out" }
  | { failure: "no-answer-within"; seconds: number }
  | { failure: "other"; detail: string };

/** `error` is the failure in English (the attempt's record, the API). */
export type SendResult = { status: number; ms: number } | { error: string; failure: NetworkFailure; ms: number };

export function postPinned(url: URL, pinned: PinnedAddress, headers: Record<string, string>, body: string, timeoutMs = SEND_TIMEOUT_MS): Promise<SendResult> {
  const started = performance.now();
  const ms = () => Math.round(performance.now() - started);
  const lookup: LookupFunction = (_host, options, callback) => {
    if ((options as { all?: boolean }).all) (callback as unknown as (e: null, a: { address: string; family: number }[]) => void)(null, [{ address: pinned.address, family: pinned.family }]);
    else callback(null, pinned.address, pinned.family);
  };
  const request = url.protocol === "https:" ? https.request : http.request;
  return new Promise((resolve) => {
    let settled = false;
    const finish = (r: SendResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(r);
    };
    const req = request(
      url,
      {
        method: "POST",
        agent: false,
        lookup,
        headers: { ...headers, "content-length": String(Buffer.byteLength(body)) },
      },
      (res) => {
        let read = 0;
        res.on("data", (chunk: Buffer) => {
          read += chunk.length;
          if (read > BODY_READ_LIMIT) res.destroy();
        });
        const done = () => finish({ status: res.statusCode ?? 0, ms: ms() });
        res.on("end", done);
        res.on("close", done);
        res.on("error", done);
      },
    );
    const timer = setTimeout(() => {
      const failure: NetworkFailure = { failure: "no-answer-within", seconds: timeoutMs / 1000 };
      finish({ error: describeNetworkFailure(failure), failure, ms: ms() });
      req.destroy();
    }, timeoutMs);
    req.on("error", (err: NodeJS.ErrnoException) => {
      const failure = networkFailureOf(err);
      finish({ error: describeNetworkFailure(failure), failure, ms: ms() });
    });
    req.end(body);
  });
}

/** The reason without addresses or stack. */
function networkFailureOf(err: NodeJS.ErrnoException): NetworkFailure {
  switch (err.code) {
    case "ECONNREFUSED":
      return { failure: "refused" };
    case "ECONNRESET":
      return { failure: "reset" };
    case "EHOSTUNREACH":
    case "ENETUNREACH":
      return { failure: "unreachable" };
    case "ETIMEDOUT":
      return { failure: "timed-out" };
    default:
      return { failure: "other", detail: (err.code ? `${err.code}: ` : "") + String(err.message ?? "network error").slice(0, 200) };
  }
}
