// The SSRF guard with real sockets: private, loopback, link-local and metadata addresses are refused when an endpoint
// is saved and again at every delivery; a name that resolves to loopback is refused like the address; a redirect is
// never followed (so it cannot lead to a private address); a name that changes its answer between the check and the
// delivery (DNS rebinding) is checked again and the connection goes only to the address that was checked.
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { createPerson } from "../src/people/people.ts";
import { attemptDelivery } from "../src/webhooks/deliver.ts";
import { listAttempts, listDeliveries } from "../src/webhooks/deliveries.ts";
import { createEndpoint, updateEndpoint } from "../src/webhooks/endpoints.ts";
import { checkDestination, type Resolver } from "../src/webhooks/guard.ts";
import { postPinned } from "../src/webhooks/send.ts";
import { jobWorker } from "../src/worker.ts";
import { setUpOrganisation, type TestPerson } from "./support/accounts.ts";
import { makeInstallation, type TestInstallation } from "./support/installation.ts";
import { startReceiver, type WebhookReceiver } from "./support/webhook-receiver.ts";

let inst: TestInstallation;
let admin: TestPerson;
let receivers: WebhookReceiver[] = [];

beforeEach(async () => {
  inst = makeInstallation();
  admin = await setUpOrganisation(inst);
  inst.clock.set(inst.clock.now());
});
afterEach(async () => {
  for (const r of receivers) await r.stop();
  receivers = [];
  inst.close();
});

function receiver(host: string, answers: WebhookReceiver["answers"] = [200]): WebhookReceiver {
  const r = startReceiver(host, answers);
  receivers.push(r);
  return r;
}

const create = (url: string, internalHost: string | null = null, resolve?: Resolver) =>
  createEndpoint({ ...inst, resolve }, { url, events: ["client.created"], personalData: false, internalHost }, admin.personId);

describe("the SSRF guard when an endpoint is saved", () => {
  test.each([
    ["http://10.1.2.3/hook", "private"],
    ["http://192.168.0.10/hook", "private"],
    ["http://100.64.1.1/hook", "cgnat"],
    ["http://169.254.169.254/latest/meta-data/", "metadata"],
    ["http://169.254.10.10/", "link-local"],
    ["http://127.0.0.1:8080/hook", "loopback"],
    ["http://0x7f.1/hook", "loopback"], // the URL parser's IPv4 forms are normalised before the check
    ["http://2130706433/hook", "loopback"],
    ["http://[::1]/hook", "loopback"],
    ["http://[::ffff:127.0.0.1]/hook", "loopback"],
    ["http://[fd00::1]/hook", "unique-local"],
    ["http://[fe80::1]/hook", "link-local"],
    ["http://0.0.0.0/hook", "unspecified"],
    ["http://224.0.0.1/hook", "multicast"],
  ])("%s is refused as %s", async (url, kind) => {
    const made = await create(url);
    expect(made).toMatchObject({ ok: false, reason: "url", problem: { problem: "address", kind } });
  });

  test("a name that resolves to loopback (localhost, from the hosts file) is refused like the address", async () => {
    const made = await create("http://localhost:8080/hook");
    expect(made).toMatchObject({ ok: false, reason: "url", problem: { problem: "address", host: "localhost", kind: "loopback" } });
  });

  test("a name with one public and one private address is refused: every address is checked", async () => {
    const made = await create("https://crm.example.com/hook", null, async () => [
      { address: "93.184.216.34", family: 4 },
      { address: "10.0.0.5", family: 4 },
    ]);
    expect(made).toMatchObject({ ok: false, problem: { problem: "address", address: "10.0.0.5", kind: "private" } });
  });

  test("other schemes, credentials in the URL and unresolvable names are refused with the reason", async () => {
    expect(await create("ftp://93.184.216.34/x")).toMatchObject({ ok: false, problem: { problem: "scheme" } });
    expect(await create("file:///etc/passwd")).toMatchObject({ ok: false, problem: { problem: "scheme" } });
    expect(await create("https://user:pw@93.184.216.34/x")).toMatchObject({ ok: false, problem: { problem: "credentials" } });
    expect(await create("not a url")).toMatchObject({ ok: false, problem: { problem: "malformed" } });
    expect(await create("https://nowhere.invalid/x")).toMatchObject({ ok: false, problem: { problem: "unresolved", host: "nowhere.invalid" } });
  });

  test("an admin's internal host allows that exact host on the own network, never the metadata service", async () => {
    expect((await create("http://127.0.0.1:8080/hook", "127.0.0.1")).ok).toBe(true);
    expect((await create("http://localhost:8080/hook", "LOCALHOST")).ok).toBe(true);
    expect(await create("http://127.0.0.1:8080/hook", "127.0.0.2")).toMatchObject({ ok: false, problem: { problem: "internal-host-mismatch" } });
    expect(await create("http://169.254.169.254/latest/", "169.254.169.254")).toMatchObject({ ok: false, problem: { problem: "address", kind: "metadata" } });
    expect(await create("http://0.0.0.0/", "0.0.0.0")).toMatchObject({ ok: false, problem: { problem: "address", kind: "unspecified" } });
  });

  test("changing the URL checks it again", async () => {
    const made = await create("http://127.0.0.1:8080/hook", "127.0.0.1");
    if (!made.ok) throw new Error("refused");
    expect(await updateEndpoint(inst, made.endpoint.id, { internalHost: null }, admin.personId)).toMatchObject({ ok: false, problem: { problem: "address", kind: "loopback" } });
    expect(await updateEndpoint(inst, made.endpoint.id, { url: "http://10.0.0.1/" }, admin.personId)).toMatchObject({ ok: false, problem: { problem: "internal-host-mismatch" } });
  });
});

describe("the SSRF guard at delivery", () => {
  test("a redirect to a private address is not followed: the attempt fails with the 3xx and is not retried", async () => {
    const inside = receiver("127.0.0.4");
    const front = receiver("127.0.0.2", [{ status: 302, location: `http://127.0.0.4:${inside.port}/steal` }]);
    const made = await create(front.url, "127.0.0.2");
    if (!made.ok) throw new Error("refused");
    createPerson(inst, { role: "client", email: "r@example.org", name: "R" }, admin.personId);
    await jobWorker(inst).runDue();
    inst.clock.advance(86_400_000);
    await jobWorker(inst).runDue();
    expect(front.received).toHaveLength(1);
    expect(inside.received).toHaveLength(0);
    const [delivery] = listDeliveries(inst.db, made.endpoint.id);
    expect(delivery).toMatchObject({ status: "failed", attempts: 1, lastStatus: 302 });
    expect(delivery!.lastError).toContain("redirects are not followed");
  });

  test("DNS rebinding: a name checked public when saved but resolving to loopback at delivery is refused, nothing is sent", async () => {
    const r = receiver("127.0.0.2");
    let answer = "93.184.216.34";
    const resolve: Resolver = async () => [{ address: answer, family: 4 }];
    const made = await create(`http://hooks.example.com:${r.port}/hook`, null, resolve);
    if (!made.ok) throw new Error("refused");
    createPerson(inst, { role: "client", email: "dns@example.org", name: "D" }, admin.personId);
    answer = "127.0.0.2";
    const [delivery] = listDeliveries(inst.db, made.endpoint.id);
    const result = await attemptDelivery({ ...inst, resolve }, delivery!.id);
    expect(result).toMatchObject({ outcome: "failed" });
    expect(r.received).toHaveLength(0);
    const [attempt] = listAttempts(inst.db, delivery!.id);
    expect(attempt).toMatchObject({ status: null, error: "hooks.example.com resolves to 127.0.0.2, which is a loopback address: webhooks are not sent there unless an admin allows this host as an internal host." });
  });

  test("the connection goes to the checked address, whatever the name would resolve to later", async () => {
    const r = receiver("127.0.0.3");
    // An allowed internal name, checked once: the request reaches 127.0.0.3 with the URL's Host header.
    const resolve: Resolver = async () => [{ address: "127.0.0.3", family: 4 }];
    const checked = await checkDestination(new URL(`http://crm.clinic.lan:${r.port}/hook`), "crm.clinic.lan", resolve);
    if (!checked.ok) throw new Error("refused");
    const sent = await postPinned(new URL(`http://crm.clinic.lan:${r.port}/hook`), checked.pinned, { "content-type": "application/json" }, "{}");
    expect(sent).toMatchObject({ status: 200 });
    expect(r.received[0]!.headers.host).toBe(`crm.clinic.lan:${r.port}`);
  });

  test("a receiver that does not answer in time is an attempt with a timeout, retried later", async () => {
    const server = Bun.serve({ hostname: "127.0.0.2", port: 0, fetch: () => new Promise<Response>(() => {}) });
    try {
      const sent = await postPinned(new URL(`http://127.0.0.2:${server.port}/slow`), { address: "127.0.0.2", family: 4 }, {}, "{}", 300);
      expect(sent).toMatchObject({ error: "no answer within 0.3 s" });
    } finally {
      await server.stop(true);
    }
  });

  test("a URL refused at delivery (the internal host was removed from the database's reach) fails with the reason", async () => {
    const r = receiver("127.0.0.2");
    const made = await create(r.url, "127.0.0.2");
    if (!made.ok) throw new Error("refused");
    createPerson(inst, { role: "client", email: "x@example.org", name: "X" }, admin.personId);
    // Someone with database access removes the allowance: the delivery checks again and refuses.
    inst.db.$client.run("UPDATE webhook_endpoints SET internal_host = NULL");
    await jobWorker(inst).runDue();
    expect(r.received).toHaveLength(0);
    expect(listDeliveries(inst.db, made.endpoint.id)[0]).toMatchObject({ status: "failed", lastStatus: null });
  });
});
