// The Prometheus endpoint: a listener of its own (KABINET_METRICS_LISTEN), not a route of the app, so Caddy never
// publishes it and the app's /metrics stays a 404. It answers GET /metrics and nothing else. With
// KABINET_METRICS_TOKEN set, a scrape must carry `Authorization: Bearer <token>`, compared in constant time; the
// metrics name no person, but they tell who is in calls now and how the appliance fares.
import { createHash, timingSafeEqual } from "node:crypto";
import type { Logger } from "../log.ts";
import { explainListenFailure } from "./failures.ts";
import type { Metrics } from "./metrics.ts";

export interface MetricsListener {
  url: URL;
  stop(): Promise<void>;
}

export function listenForMetrics(metrics: Metrics, listen: { hostname: string; port: number }, token: string | null, log: Logger): MetricsListener {
  const expected = token === null ? null : digest(`Bearer ${token}`);
  const server = Bun.serve({
    hostname: listen.hostname,
    port: listen.port,
    development: false,
    reusePort: false, // a second Kabinet on the same address must fail, not share it (see server.ts)
    async fetch(req) {
      if (new URL(req.url).pathname !== "/metrics") return text(404, "not found: the metrics are at /metrics\n");
      if (req.method !== "GET") return text(405, "method not allowed: GET /metrics\n", { allow: "GET" });
      // Hashing both sides first makes the comparison constant-time whatever the lengths.
      if (expected && !timingSafeEqual(digest(req.headers.get("authorization") ?? ""), expected)) {
        return text(401, "a bearer token is required (KABINET_METRICS_TOKEN)\n", { "www-authenticate": 'Bearer realm="kabinet metrics"' });
      }
      try {
        return new Response(await metrics.scrape(), { headers: { "content-type": metrics.contentType, "cache-control": "no-store" } });
      } catch (err) {
        log.error("metrics scrape failed", { error: (err as Error).message });
        return text(500, "the metrics could not be read; see the server log\n");
      }
    },
  });
  return {
    url: new URL(`http://${server.hostname}:${server.port}`),
    stop: () => server.stop(true),
  };
}

/** One line for a metrics address that cannot be opened, as for the main listener but naming its own variable. */
export function explainMetricsListenFailure(err: unknown, address: string): string | null {
  // explainListenFailure names KABINET_LISTEN; the cause and the fix are the same for this listener.
  return explainListenFailure(err, address)?.replace(/^KABINET_LISTEN /, "KABINET_METRICS_LISTEN ") ?? null;
}

function digest(value: string): Buffer {
  return createHash("sha256").update(value).digest();
}

function text(status: number, body: string, headers: Record<string, string> = {}): Response {
  return new Response(body, { status, headers: { "content-type": "text/plain; charset=utf-8", ...headers } });
}
