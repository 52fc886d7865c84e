// Calling the API as an integration does: a bearer token, JSON bodies. And a probe that puts the real token check and
// the real idempotency middleware in front of a test handler, over the installation's real database and vault: the
// handler declares its answer (which names no one) safe to keep, as a route like POST /webhooks/{id}/test does.
import { Hono } from "hono";
import { type ApiEnv, authenticate } from "../../src/api/auth.ts";
import { idempotency, keepForRetry } from "../../src/api/idempotency.ts";
import type { TestInstallation } from "./installation.ts";

export async function callApi(inst: TestInstallation, path: string, secret: string | null, init: { method?: string; headers?: Record<string, string>; body?: unknown } = {}): Promise<Response> {
  const headers: Record<string, string> = { ...(secret === null ? {} : { authorization: `Bearer ${secret}` }), ...init.headers };
  if (init.body !== undefined) headers["content-type"] = "application/json";
  return inst.app.request(new URL(`/api/v1${path}`, inst.config.publicUrl).toString(), {
    method: init.method ?? "GET",
    headers,
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });
}

export interface IdempotencyProbe {
  /** POST /api/v1/probe: answers 201 with the body it got, the number of times it ran, and a Location. */
  post(secret: string, key: string | null, body: unknown): Promise<Response>;
  /** How many times the handler ran. */
  runs(): number;
  /** Makes the next run wait until the returned function is called. */
  hold(): () => void;
}

/** `keep: false`: the handler says nothing of its answer, as a route that cannot vouch for it. */
export function idempotencyProbe(inst: TestInstallation, o: { keep?: boolean } = {}): IdempotencyProbe {
  const app = new Hono<ApiEnv>();
  let runs = 0;
  let gate: Promise<void> | null = null;
  app.use("*", authenticate(inst));
  app.use("*", idempotency(inst));
  app.post("/api/v1/probe", async (c) => {
    const body = (await c.req.json()) as { fail?: boolean };
    runs++;
    if (gate) {
      const g = gate;
      gate = null;
      await g;
    }
    if (body.fail) return c.json({ error: "failed on purpose" }, 500);
    if (o.keep !== false) keepForRetry(c, { kind: "body" });
    return c.json({ run: runs, got: body }, 201, { location: `/api/v1/probe/${runs}` });
  });
  return {
    post: (secret, key, body) =>
      Promise.resolve(
        app.request(new URL("/api/v1/probe", inst.config.publicUrl).toString(), {
          method: "POST",
          headers: { authorization: `Bearer ${secret}`, "content-type": "application/json", ...(key === null ? {} : { "idempotency-key": key }) },
          body: JSON.stringify(body),
        }),
      ),
    runs: () => runs,
    hold: () => {
      let release!: () => void;
      gate = new Promise((resolve) => (release = resolve));
      return release;
    },
  };
}
