// The "webhook" job: one attempt to send one delivery, signed per the Standard Webhooks spec (the `standardwebhooks`
// library: headers webhook-id, webhook-timestamp, webhook-signature; the id is the delivery's, the same on every
// retry and replay, so a receiver can drop duplicates). The payload is the one sealed at the event, less `data.client`
// when the endpoint no longer allows personal data or the client may no longer be named (personal.ts); what is sent
// is what is signed.
//
// What an answer means:
//   2xx                           delivered.
//   410 Gone                      the receiver wants no more: the endpoint is disabled (reason kept, admins see it).
//   408, 429, 5xx, no answer      retried by the job queue with its backoff (1, 5, 15, 60, 180, 720 minutes: seven
//   (refused, reset, timed out     attempts over about 16 hours), then failed.
//   after 10 s), name unresolved
//   3xx                           failed at once: redirects are never followed (a redirect to a private address
//                                 would otherwise get past the SSRF guard); change the URL to where it points.
//   other 4xx                     failed at once: the receiver refused this request and sending it again will not
//                                 change that (a wrong path, a signature it cannot check). Replay once fixed.
//   address not allowed           failed at once (guard.ts), with the reason.
// Every attempt is recorded (status code or reason, milliseconds). Nothing from the receiver's answer is kept but
// its status code.
import { Webhook } from "standardwebhooks";
import type { Installation } from "../installation.ts";
import { BACKOFF_MINUTES, type Handler, type JobOutcome } from "../jobs/queue.ts";
import { opsCounters } from "../ops/metrics-counters.ts";
import { VERSION } from "../version.ts";
import { disableGoneEndpoint, endpointSecret, endpointUrl, type WebhookDeps } from "./endpoints.ts";
import { checkDestination, describeUrlProblem, parseWebhookUrl } from "./guard.ts";
import { withdrawClientUnlessAllowed } from "./personal.ts";
import { type DeliveryProblem, describeDeliveryProblem, storeReason } from "./reasons.ts";
import { postPinned } from "./send.ts";
import * as store from "./webhooks.store.ts";

export type AttemptOutcome =
  | { outcome: "delivered"; status: number }
  | { outcome: "retry"; problem: DeliveryProblem; reason: string }
  | { outcome: "failed"; problem: DeliveryProblem; reason: string }
  | { outcome: "skipped"; reason: string };

/** One attempt's result before it is judged: the receiver's status, or why none came and whether to try again. */
type Answer = { status: number; ms: number } | { problem: DeliveryProblem; retryable: boolean; error: string; ms: number };

export function webhookHandler(deps: Pick<Installation, "db" | "vault" | "clock" | "log">): Handler {
  return async (job) => {
    const deliveryId = (job.payload as { deliveryId?: unknown }).deliveryId;
    if (typeof deliveryId !== "string") return { status: "failed", reason: "malformed webhook job" };
    // job.attempts counts the attempts before this one; when the backoff has no further step this is the last.
    const last = BACKOFF_MINUTES[job.attempts] === undefined;
    const result = await attemptDelivery(deps, deliveryId, { last });
    return outcomeForQueue(result);
  };
}

function outcomeForQueue(result: AttemptOutcome): JobOutcome {
  switch (result.outcome) {
    case "delivered":
      return { status: "done" };
    case "skipped":
      return { status: "skipped", reason: result.reason };
    case "failed":
      return { status: "failed", reason: result.reason };
    case "retry":
      throw new Error(result.reason); // the queue retries with its backoff
  }
}

/**
 * One attempt at a delivery, recorded. `last`: no retry follows, so a retryable failure ends the delivery failed.
 * Exported for the tests and backups' fixtures; the job worker calls it through webhookHandler.
 */
export async function attemptDelivery(deps: WebhookDeps, deliveryId: string, o: { last: boolean } = { last: false }): Promise<AttemptOutcome> {
  const { db, vault } = deps;
  const row = store.deliveryRow(db, deliveryId);
  const endpoint = row ? store.endpointRow(db, row.endpointId) : null;
  if (!row || !endpoint) return { outcome: "skipped", reason: "the endpoint or delivery was deleted" };
  const end = (problem: DeliveryProblem): AttemptOutcome => {
    store.updateDeliveryRow(db, deliveryId, { status: "failed", lastError: storeReason(problem) });
    return { outcome: "failed", problem, reason: describeDeliveryProblem(problem) };
  };
  if (!endpoint.enabled) return end({ code: "endpoint-disabled" });
  let payload: string;
  try {
    payload = vault.openField(row.subject, "webhook_deliveries", "payload", row.id, row.payload);
  } catch {
    return end({ code: "erased" });
  }
  // Personal data goes out only as the endpoint and the client allow it now, not as they did at the event.
  payload = withdrawClientUnlessAllowed(db, vault, { payload, subject: row.subject, endpointAllowsPersonalData: endpoint.personalData });

  const at = deps.clock.now();
  const answer = await send(deps, endpoint, row.id, payload, at);
  const status = "status" in answer ? answer.status : null;
  const error = "error" in answer ? answer.error : null;
  const result = judge(answer, o.last);
  const counters = opsCounters(db);
  if (result.outcome === "delivered") counters.webhookDelivered++;
  else counters.webhookFailures++;
  db.transaction(
    (tx) => {
      store.insertAttemptRow(tx, { deliveryId, at, status, error, ms: answer.ms });
      store.updateDeliveryRow(tx, deliveryId, {
        status: result.outcome === "delivered" ? "delivered" : result.outcome === "retry" ? "pending" : "failed",
        attempts: row.attempts + 1,
        lastAttemptAt: at,
        lastStatus: status,
        lastError: "problem" in result ? storeReason(result.problem) : null,
        deliveredAt: result.outcome === "delivered" ? at : null,
      });
      if (status === 410) disableGoneEndpoint(tx, vault, endpoint.id, at);
    },
    { behavior: "immediate" },
  );
  return result;
}

/** Checks the URL again and posts the signed payload to the address checked; the answer or why none came. */
async function send(deps: WebhookDeps, endpoint: store.EndpointRow, messageId: string, payload: string, at: number): Promise<Answer> {
  const parsed = parseWebhookUrl(endpointUrl(deps.vault, endpoint));
  if (!parsed.ok) return { problem: { code: "url", problem: parsed.problem }, retryable: false, error: describeUrlProblem(parsed.problem), ms: 0 };
  const started = performance.now();
  const destination = await checkDestination(parsed.url, endpoint.internalHost, deps.resolve);
  if (!destination.ok) {
    // A name not found may be found later (DNS trouble); an address refused stays refused.
    const retryable = destination.problem.problem === "unresolved";
    return { problem: { code: "url", problem: destination.problem }, retryable, error: describeUrlProblem(destination.problem), ms: Math.round(performance.now() - started) };
  }
  const signature = new Webhook(endpointSecret(deps.vault, endpoint)).sign(messageId, new Date(at), payload);
  const headers = {
    "content-type": "application/json",
    "user-agent": `Kabinet-Webhooks/${VERSION}`,
    "webhook-id": messageId,
    "webhook-timestamp": String(Math.floor(at / 1000)),
    "webhook-signature": signature,
  };
  const sent = await postPinned(parsed.url, destination.pinned, headers, payload);
  return "status" in sent ? sent : { problem: { code: "network", network: sent.failure }, retryable: true, error: sent.error, ms: sent.ms };
}

function judge(answer: Answer, last: boolean): AttemptOutcome {
  let problem: DeliveryProblem;
  let retryable: boolean;
  if ("status" in answer) {
    const status = answer.status;
    if (status >= 200 && status < 300) return { outcome: "delivered", status };
    problem = { code: "status", status };
    retryable = status === 408 || status === 429 || status >= 500;
  } else ({ problem, retryable } = answer);
  if (!retryable) return { outcome: "failed", problem, reason: describeDeliveryProblem(problem) };
  if (!last) return { outcome: "retry", problem, reason: describeDeliveryProblem(problem) };
  const final = { ...problem, final: true } as DeliveryProblem;
  return { outcome: "failed", problem: final, reason: describeDeliveryProblem(final) };
}
