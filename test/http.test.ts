// The HTTP shell, driven in-process: headers, CSRF, languages, error pages, health.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { AppError } from "../src/http/app-error.ts";
import { assetUrl } from "../src/http/assets.ts";
import { addPerson, setUpOrganisation, signedInClient, type TestPerson } from "./support/accounts.ts";
import { makeInstallation, type TestInstallation } from "./support/installation.ts";

let inst: TestInstallation;
let admin: TestPerson;
const ORIGIN = "https://consult.example.org";
beforeAll(async () => {
  inst = makeInstallation({ KABINET_PUBLIC_URL: ORIGIN });
  admin = await setUpOrganisation(inst);
  // Routes that fail, to see what a person would see when something breaks inside.
  inst.app.get("/__test/crash", () => {
    throw new Error("SQLITE_CORRUPT: secret detail about zinaida@example.org");
  });
  inst.app.get("/api/__test/crash", () => {
    throw new Error("SQLITE_CORRUPT: secret detail about zinaida@example.org");
  });
  inst.app.get("/__test/unavailable", () => {
    throw new AppError(503, "maintenance", { cause: new Error("disk full") });
  });
});
afterAll(() => inst.close());

const get = (path: string, headers: Record<string, string> = {}) => inst.app.request(`${ORIGIN}${path}`, { headers });
const post = (path: string, body: string, headers: Record<string, string> = {}) =>
  inst.app.request(`${ORIGIN}${path}`, {
    method: "POST",
    body,
    headers: { "content-type": "application/x-www-form-urlencoded", ...headers },
  });

describe("security headers", () => {
  test("a strict CSP with a fresh nonce that matches the page's script tag", async () => {
    const [a, b] = [await get("/signin"), await get("/signin")];
    const csp = a.headers.get("content-security-policy")!;
    const nonce = csp.match(/script-src 'nonce-([^']+)'/)?.[1];
    expect(nonce).toBeTruthy();
    expect(b.headers.get("content-security-policy")).not.toBe(csp);
    expect(csp).not.toContain("unsafe-inline");
    expect(csp).not.toContain("unsafe-eval");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain("default-src 'none'");
    const html = await a.text();
    expect(html).toStartWith("<!DOCTYPE html>");
    expect(html).toContain(`<script nonce="${nonce}" src="/assets/htmx.min.`);
    expect(html).not.toMatch(/\sstyle="/);
    expect(html).not.toMatch(/https?:\/\/(?!consult\.example\.org)/);
  });

  test("HSTS for a year over HTTPS, nosniff, referrer policy, no framing", async () => {
    const r = await get("/signin");
    expect(r.headers.get("strict-transport-security")).toBe("max-age=31536000; includeSubDomains");
    expect(r.headers.get("x-content-type-options")).toBe("nosniff");
    expect(r.headers.get("referrer-policy")).toBe("same-origin");
    expect(r.headers.get("x-frame-options")).toBe("DENY");
    expect(r.headers.get("x-powered-by")).toBeNull();
  });

  test("no HSTS when the public URL is plain HTTP", async () => {
    const plain = makeInstallation();
    try {
      const r = await plain.app.request("http://127.0.0.1:8080/");
      expect(r.headers.get("strict-transport-security")).toBeNull();
    } finally {
      plain.close();
    }
  });
});

describe("caching", () => {
  test("pages, fragments, errors and the private calendar feed are no-store: a shared PC keeps nothing on disk", async () => {
    const client = await addPerson(inst, admin.personId, "client");
    const c = signedInClient(inst, client);
    expect((await c.post("/calendar/feed")).status).toBe(303);
    const feed = (await (await c.get("/appointments")).text()).match(/\/calendar\/[A-Za-z0-9_-]{43}\.ics/)![0];
    const a = signedInClient(inst, admin);
    for (const [who, path] of [[c, "/"], [c, "/appointments"], [c, "/account"], [a, "/schedule"], [a, "/admin/people"], [c, "/no-such-page"], [c, feed]] as const) {
      const r = await who.get(path);
      expect([path, r.status < 500, r.headers.get("cache-control")]).toEqual([path, true, "no-store"]);
    }
    expect((await get("/signin")).headers.get("cache-control")).toBe("no-store");
    expect((await get("/__test/crash")).headers.get("cache-control")).toBe("no-store");
  });
});

describe("CSRF", () => {
  test.each([
    ["foreign Origin", { origin: "https://evil.example" }, 403],
    ["look-alike Origin", { origin: "https://consult.example.org.evil.example" }, 403],
    ["plain-http Origin of our host", { origin: "http://consult.example.org" }, 403],
    ["null Origin", { origin: "null" }, 403],
    ["cross-site fetch metadata", { "sec-fetch-site": "cross-site" }, 403],
    ["same-site (a sibling subdomain)", { "sec-fetch-site": "same-site" }, 403],
    ["cookies but no Origin", { cookie: "kabinet_lang=en" }, 403],
    ["our own Origin", { origin: ORIGIN }, 303],
    ["same-origin fetch metadata", { "sec-fetch-site": "same-origin" }, 303],
    ["no browser headers and no cookies (API client)", {}, 303],
  ] as const)("%s → %d", async (_name, headers, status) => {
    const r = await post("/lang", "lang=ru&back=/", headers);
    expect(r.status).toBe(status);
    if (status === 403) expect(await r.text()).toContain("another site");
  });

  test("applies to every state-changing method, also on unknown paths", async () => {
    for (const method of ["POST", "PUT", "PATCH", "DELETE"]) {
      const r = await inst.app.request(`${ORIGIN}/anything`, { method, headers: { origin: "https://evil.example" } });
      expect(r.status).toBe(403);
    }
  });
});

describe("languages", () => {
  test("English by default, Russian from Accept-Language, the cookie wins", async () => {
    expect(await (await get("/signin")).text()).toContain('<html lang="en">');
    const ru = await get("/signin", { "accept-language": "ru-RU,ru;q=0.9" });
    expect(ru.headers.get("content-language")).toBe("ru");
    expect(await ru.text()).toContain("<h1>Вход</h1>");
    const chosen = await get("/signin", { "accept-language": "ru", cookie: "kabinet_lang=en" });
    expect(await chosen.text()).toContain("<h1>Sign in</h1>");
  });

  test("switching sets a cookie and returns to a local path only", async () => {
    const r = await post("/lang", "lang=ru&back=%2Fsome%2Fpage", { origin: ORIGIN });
    expect(r.status).toBe(303);
    expect(r.headers.get("location")).toBe("/some/page");
    expect(r.headers.get("set-cookie")).toMatch(/^kabinet_lang=ru;.*HttpOnly; .*SameSite=Lax/);
    expect(r.headers.get("set-cookie")).toContain("Secure");
    for (const back of ["//evil.example", "/\\evil.example", "https://evil.example", "javascript:alert(1)"]) {
      const bad = await post("/lang", `lang=en&back=${encodeURIComponent(back)}`, { origin: ORIGIN });
      expect(bad.headers.get("location")).toBe("/");
    }
  });

  test("an unknown language is a 400 with a reason", async () => {
    const r = await post("/lang", "lang=de", { origin: ORIGIN });
    expect(r.status).toBe(400);
    expect(await r.text()).toContain("lang must be en or ru");
  });
});

describe("error pages", () => {
  test("404 in both languages, as a full page", async () => {
    const en = await get("/no/such/page");
    expect(en.status).toBe(404);
    expect(await en.text()).toContain("Page not found");
    const ru = await get("/no/such/page", { "accept-language": "ru" });
    expect(await ru.text()).toContain("Страница не найдена");
  });

  test("500 shows a request id and nothing of the cause; the log has the cause under that id", async () => {
    const r = await get("/__test/crash", { "accept-language": "ru" });
    expect(r.status).toBe(500);
    const html = await r.text();
    expect(html).toContain("Что-то пошло не так");
    const id = html.match(/class="kb-ref">([0-9a-f-]{36})</)?.[1];
    expect(id).toBeTruthy();
    expect(html).not.toContain("SQLITE");
    expect(html).not.toContain("zinaida");
    const line = inst.logs.map((l) => JSON.parse(l)).find((l) => l.msg === "request failed" && l.requestId === id);
    expect(line?.cause).toContain("SQLITE_CORRUPT");
  });

  test("htmx requests get a fragment, /api gets problem details (RFC 9457)", async () => {
    const frag = await get("/__test/crash", { "hx-request": "true" });
    const text = await frag.text();
    expect(text).toStartWith('<div role="alert"');
    expect(text).not.toContain("<html");
    const api = await get("/api/nothing");
    expect(api.status).toBe(404);
    expect(api.headers.get("content-type")).toBe("application/problem+json");
    expect(await api.json()).toEqual({ type: "about:blank", title: "Not Found", status: 404, detail: "No API route at this address and method. The routes are listed in /api/v1/openapi.json." });
    const crash = await get("/api/__test/crash");
    expect(crash.status).toBe(500);
    const body = (await crash.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ type: "about:blank", title: "Internal Server Error", status: 500 });
    expect(JSON.stringify(body)).not.toContain("zinaida");
  });

  test("an AppError keeps its status and its public message only", async () => {
    const r = await get("/__test/unavailable");
    expect(r.status).toBe(503);
    expect(await r.text()).not.toContain("disk full");
  });
});

describe("health", () => {
  test("livez and readyz answer with short JSON", async () => {
    expect(await (await get("/livez")).json()).toEqual({ status: "ok" });
    const ready = await get("/readyz");
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: "ready" });
  });

  test("readyz is 503 when the database is not migrated", async () => {
    const other = makeInstallation();
    try {
      other.db.$client.run("DELETE FROM __drizzle_migrations WHERE id = (SELECT MAX(id) FROM __drizzle_migrations)");
      const r = await other.app.request("http://127.0.0.1:8080/readyz");
      expect(r.status).toBe(503);
      expect(await r.json()).toEqual({ status: "unavailable", reason: "database schema is behind" });
      other.db.$client.close();
      const closed = await other.app.request("http://127.0.0.1:8080/readyz");
      expect(closed.status).toBe(503);
    } finally {
      other.close();
    }
  });
});

describe("assets", () => {
  test("htmx, Pico and our CSS come from the app itself, named by a hash of their content, cached for a year", async () => {
    const page = await (await get("/signin")).text();
    const urls = [...page.matchAll(/"(\/assets\/[^"]+)"/g)].map((m) => m[1]!);
    const expected = { "htmx.min": "text/javascript", "pico.min": "text/css", app: "text/css", favicon: "image/svg+xml" };
    expect(urls.map((u) => u.replace(/\.[0-9a-f]{16}\./, ".")).sort()).toEqual(["/assets/app.css", "/assets/favicon.svg", "/assets/htmx.min.js", "/assets/pico.min.css"]);
    for (const url of urls) {
      const r = await get(url);
      expect(r.status).toBe(200);
      const [, stem, hash] = url.match(/^\/assets\/(.+)\.([0-9a-f]{16})\.\w+$/)!;
      expect(r.headers.get("content-type")).toStartWith(expected[stem as keyof typeof expected]);
      expect(r.headers.get("cache-control")).toBe("public, max-age=31536000, immutable");
      const body = new Uint8Array(await r.arrayBuffer());
      expect(body.byteLength).toBeGreaterThan(200);
      // The name changes exactly when the content does, version bump or not.
      expect(new Bun.CryptoHasher("sha256").update(body).digest("hex").slice(0, 16)).toBe(hash!);
    }
    const call = await get(assetUrl("call.js")); // the call client, linked from room pages
    expect([call.status, call.headers.get("content-type"), call.headers.get("cache-control")]).toEqual([200, "text/javascript; charset=utf-8", "public, max-age=31536000, immutable"]);
    // Another hash (an old or future build) or no hash at all is not this content: 404, never stale bytes.
    for (const stale of ["/assets/app.css", "/assets/app.css?v=0.1.0", "/assets/app.0123456789abcdef.css", urls[0]!.replace(/[0-9a-f]{16}/, "f".repeat(16))]) {
      expect((await get(stale)).status).toBe(404);
    }
    expect((await get("/assets/../kabinet.db")).status).toBe(404);
    expect((await get("/assets/other.js")).status).toBe(404);
  });
});
