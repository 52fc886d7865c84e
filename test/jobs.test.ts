// The job queue with mail waiting (no SMTP server set, as `npm start` runs): mail stays queued, and the other kinds
// behind it (webhooks, payments) still run, however many mails wait before them.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { enqueue, listJobs } from "../src/jobs/queue.ts";
import { MAIL_JOB } from "../src/mail/mailer.ts";
import { emitEvent } from "../src/webhooks/emit.ts";
import { createEndpoint } from "../src/webhooks/endpoints.ts";
import { jobWorker } from "../src/worker.ts";
import { setUpOrganisation, type TestPerson } from "./support/accounts.ts";
import { makeInstallation, type TestInstallation } from "./support/installation.ts";
import { startReceiver, type WebhookReceiver } from "./support/webhook-receiver.ts";

let inst: TestInstallation;
let admin: TestPerson;
let receiver: WebhookReceiver;

beforeAll(async () => {
  inst = makeInstallation(); // no KABINET_SMTP_URL: mail waits
  admin = await setUpOrganisation(inst);
  receiver = startReceiver("127.0.0.4");
});
afterAll(async () => {
  await receiver.stop();
  inst.close();
});

test("fifty mails waiting for an SMTP server do not hold back a webhook queued after them", async () => {
  const made = await createEndpoint(inst, { url: receiver.url, events: ["client.created"], personalData: false, internalHost: receiver.host }, admin.personId);
  if (!made.ok) throw new Error(JSON.stringify(made));
  const now = inst.clock.now();
  inst.db.transaction((tx) => {
    for (let i = 0; i < 50; i++) enqueue(tx, inst.vault, { kind: MAIL_JOB, dedupeKey: `waiting-${i}`, subject: admin.personId, payload: { template: "account.link" }, runAt: now - 60_000 + i }, now);
  });
  inst.db.transaction((tx) => emitEvent(tx, inst.vault, { type: "client.created", subject: "org", data: { clientId: "c1", createdAt: new Date(now).toISOString() }, at: now }));
  await jobWorker(inst).runDue();
  expect(receiver.received).toHaveLength(1);
  expect(listJobs(inst.db, inst.vault, ["pending"], 200).filter((j) => j.kind === MAIL_JOB).length).toBeGreaterThanOrEqual(50);
});
