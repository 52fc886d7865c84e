// The integrator's documentation stays true: every ```sh example of docs/api.md runs, in order and in one shell, with
// the real `curl` and `jq` against an installation served over real HTTP, and each call answers the status its
// `# → NNN` comment promises. The reference page (/api/v1/reference) shows every operation of the OpenAPI document,
// works under the strict CSP (no script, no inline style), and its own curl examples pass the API's schemas.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { scopesFor } from "../src/api/scopes.ts";
import { createToken } from "../src/api/tokens.ts";
import { addPerson, cookieFor, setUpOrganisation, type TestPerson } from "./support/accounts.ts";
import { everyDay, makeService, setHours } from "./support/booking.ts";
import { type ServedInstallation, serveInstallation } from "./support/installation.ts";

let served: ServedInstallation;
let env: Record<string, string>;
let specialist: TestPerson;

/**
 * Routes another part of the API brings (booking: free times and appointments). Until they are registered, an example
 * that calls them is left out; once any route under the prefix exists, every example calling it must run.
 */
const ARRIVING = ["slots", "appointments"];

beforeAll(async () => {
  served = await serveInstallation();
  const inst = served.inst;
  const admin = await setUpOrganisation(inst);
  specialist = await addPerson(inst, admin.personId, "specialist", { name: "Anna Berg" });
  setHours(inst, specialist.personId, everyDay("UTC", "00:00", "23:59"));
  makeService(inst, admin.personId, [specialist.personId], { cancelHours: 0 });
  const made = createToken(inst, { personId: admin.personId, name: "Docs examples", scopes: scopesFor("admin"), expiresAt: inst.clock.now() + 86_400_000 }, admin.personId);
  if (!made.ok) throw new Error(made.reason);
  env = { KABINET_URL: `${served.origin}/api/v1`, KABINET_TOKEN: made.secret };
}, 60_000);
afterAll(async () => await served?.stop());

interface Example {
  code: string;
  expected: number[];
  /** The first path segment of each API route it calls ("clients", "rooms"). */
  segments: string[];
}

function examplesOf(markdown: string): Example[] {
  return [...markdown.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => {
    const code = m[1]!;
    return {
      code,
      expected: [...code.matchAll(/^# → (\d{3})/gm)].map((x) => Number(x[1])),
      segments: [...new Set([...code.matchAll(/\$KABINET_URL\/([A-Za-z0-9_-]+)/g)].map((x) => x[1]!))],
    };
  });
}

async function documentedPaths(): Promise<string[]> {
  const doc = (await (await fetch(`${served.origin}/api/v1/openapi.json`)).json()) as { paths: Record<string, unknown> };
  return Object.keys(doc.paths);
}

async function bash(script: string): Promise<{ code: number; stdout: string; stderr: string }> {
  const proc = Bun.spawn(["bash", "-c", script], { env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: served.inst.dir, ...env }, cwd: served.inst.dir, stdout: "pipe", stderr: "pipe" });
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  return { code, stdout, stderr };
}

test("every sh example of docs/api.md runs against a served installation and answers as its comments say", async () => {
  const examples = examplesOf(readFileSync(join(import.meta.dir, "../docs/api.md"), "utf8"));
  expect(examples.length).toBeGreaterThan(10);
  const paths = await documentedPaths();
  const registered = (segment: string) => paths.some((p) => p === `/${segment}` || p.startsWith(`/${segment}/`));
  const left = examples.filter((e) => e.segments.some((s) => !registered(s)));
  // Only the routes still arriving may be missing; any other unknown route is a mistake in the docs.
  expect(left.flatMap((e) => e.segments.filter((s) => !registered(s))).filter((s) => !ARRIVING.includes(s))).toEqual([]);
  const run = examples.filter((e) => !left.includes(e));

  // Each call reports its status on stderr (curl's %{stderr}), so the examples' own output stays as a reader sees it.
  const script = [
    "set -euo pipefail",
    "curl() { command curl --write-out '%{stderr}HTTP %{http_code}\\n' \"$@\"; }",
    ...run.flatMap((e, i) => [`echo '### ${i}' >&2`, e.code]),
  ].join("\n");
  const result = await bash(script);
  const statuses: number[][] = run.map(() => []);
  const stray: string[] = [];
  let current = -1;
  for (const line of result.stderr.split("\n").filter(Boolean)) {
    const marker = /^### (\d+)$/.exec(line);
    const status = /^HTTP (\d{3})$/.exec(line);
    if (marker) current = Number(marker[1]);
    else if (status && current >= 0) statuses[current]!.push(Number(status[1]));
    else stray.push(line);
  }
  expect({ code: result.code, stray }).toEqual({ code: 0, stray: [] });
  for (const [i, e] of run.entries()) expect({ example: e.code, statuses: statuses[i] }).toEqual({ example: e.code, statuses: e.expected });
}, 60_000);

test("the reference page shows every operation, needs no script or inline style, and its examples pass the schemas", async () => {
  const r = await fetch(`${served.origin}/api/v1/reference`);
  expect(r.status).toBe(200);
  expect(r.headers.get("content-security-policy")).toContain("style-src 'self'");
  const html = await r.text();
  expect(html).not.toContain("<script");
  expect(html).not.toMatch(/\sstyle=/);
  expect(html).not.toMatch(/https?:\/\/(?!127\.0\.0\.1)[^"'\s<]*\.(js|css)/); // nothing from elsewhere
  const doc = (await (await fetch(`${served.origin}/api/v1/openapi.json`)).json()) as { paths: Record<string, Record<string, { operationId: string; "x-scope": string }>> };
  const operations = Object.values(doc.paths).flatMap((item) => Object.values(item));
  expect(operations.length).toBeGreaterThan(10);
  for (const op of operations) {
    expect(html).toContain(`id="op-${op.operationId}"`);
    expect(html).toContain(`<code>${op["x-scope"]}</code>`);
  }

  const unescape = (s: string) => s.replaceAll("&quot;", '"').replaceAll("&#39;", "'").replaceAll("&lt;", "<").replaceAll("&gt;", ">").replaceAll("&amp;", "&");
  const curls = [...html.matchAll(/<article id="op-([^"]+)">[\s\S]*?<pre[^>]*><code>(curl [\s\S]*?)<\/code><\/pre>/g)].map((m) => ({ op: m[1]!, code: unescape(m[2]!) }));
  expect(curls.map((c) => c.op).sort()).toEqual(operations.map((o) => o.operationId).sort());
  // Every example is well formed for its route: whatever else it answers (an example id is nobody), never a 400.
  const script = ["curl() { command curl --write-out '%{stderr}HTTP %{http_code}\\n' -o /dev/null \"$@\"; }", ...curls.flatMap((c) => [`echo '### ${c.op}' >&2`, c.code])].join("\n");
  const result = await bash(script);
  const answers = result.stderr.split("### ").filter(Boolean).map((chunk) => chunk.trim().split("\n"));
  const malformed = answers.filter(([, status]) => status === "HTTP 400").map(([op]) => op);
  expect(answers).toHaveLength(curls.length);
  expect(answers.every(([, status]) => /^HTTP [2-4]\d\d$/.test(status ?? ""))).toBe(true);
  expect(malformed).toEqual([]);
  // And plausible: no placeholder where a value goes (`/webhooks/string`, `"url":"string"`).
  expect(curls.filter((c) => /\/string\b|"string"|=string\b/.test(c.code)).map((c) => c.op)).toEqual([]);
}, 60_000);

test("every path parameter and request-body field of the document has an example (or is an enum), and the webhook fields say what they are", async () => {
  interface S {
    $ref?: string;
    example?: unknown;
    enum?: unknown[];
    description?: string;
    properties?: Record<string, S>;
    items?: S;
    default?: unknown;
  }
  const doc = (await (await fetch(`${served.origin}/api/v1/openapi.json`)).json()) as {
    paths: Record<string, Record<string, { operationId: string; parameters?: { name: string; in: string; schema: S }[]; requestBody?: { content: Record<string, { schema: S }> } }>>;
    components: { schemas: Record<string, S> };
  };
  const resolve = (s: S) => (s.$ref ? doc.components.schemas[s.$ref.split("/").pop()!]! : s);
  const missing: string[] = [];
  for (const op of Object.values(doc.paths).flatMap((item) => Object.values(item))) {
    for (const p of op.parameters ?? []) if (p.in === "path" && p.schema.example === undefined) missing.push(`${op.operationId}: {${p.name}}`);
    const body = op.requestBody?.content["application/json"]?.schema;
    for (const [name, field] of Object.entries(body ? (resolve(body).properties ?? {}) : {})) {
      const f = resolve(field);
      if (field.example === undefined && f.example === undefined && !f.enum && !(f.items && resolve(f.items).enum)) missing.push(`${op.operationId}: ${name}`);
    }
  }
  expect(missing).toEqual([]);
  for (const name of ["WebhookEndpointInput", "WebhookEndpointChange"]) {
    for (const [field, s] of Object.entries(doc.components.schemas[name]!.properties!)) expect({ field, description: (s.description ?? "").length > 20 }).toEqual({ field, description: true });
  }
  expect(doc.components.schemas.WebhookEndpointInput!.properties!.internalHost!.description).toContain("without scheme or port");
});

const GUIDES = { "/api/v1/guide": "api.md", "/api/v1/guide/webhooks": "webhooks.md", "/api/v1/guide/fhir": "fhir.md" };

test("the appliance serves the guides (docs/api.md and its companions) to anyone, without script, every link going somewhere", async () => {
  const pages = new Map<string, string>();
  for (const [path, file] of Object.entries(GUIDES)) {
    const r = await fetch(`${served.origin}${path}`);
    expect(r.status).toBe(200);
    expect(r.headers.get("content-type")).toStartWith("text/html");
    expect(r.headers.get("content-security-policy")).toContain("style-src 'self'");
    const html = await r.text();
    expect(html).not.toContain("<script");
    expect(html).not.toMatch(/\sstyle=/);
    expect(html).not.toContain("&lt;!--"); // maintainers' comments are left out, not shown as text
    // What is served is the file in docs/: each of its headings, as a heading with an anchor.
    const markdown = readFileSync(join(import.meta.dir, "../docs", file), "utf8");
    const headings = [...markdown.matchAll(/^#{1,3} (.+)$/gm)].map((m) => m[1]!.replaceAll("`", ""));
    expect(headings.length).toBeGreaterThan(3);
    const text = html.replace(/<[^>]+>/g, "").replaceAll("&amp;", "&").replaceAll("&quot;", '"').replaceAll("&#39;", "'").replaceAll("&lt;", "<").replaceAll("&gt;", ">");
    for (const h of headings) expect(text).toContain(h);
    pages.set(path, html);
  }
  const reference = await (await fetch(`${served.origin}/api/v1/reference`)).text();
  pages.set("/api/v1/reference", reference);
  expect(reference).toContain('href="/api/v1/guide"');
  const doc = (await (await fetch(`${served.origin}/api/v1/openapi.json`)).json()) as { info: { description: string } };
  expect(doc.info.description).toContain(`${served.origin}/api/v1/guide `);
  expect(doc.info.description).not.toContain("docs/api.md");

  // Every link of these pages within the appliance answers, and every anchor names an element of its page.
  const idsOf = (html: string) => new Set([...html.matchAll(/\sid="([^"]+)"/g)].map((m) => m[1]!));
  const broken: string[] = [];
  for (const [path, html] of pages) {
    for (const [, href] of html.matchAll(/<a href="([^"]+)"/g)) {
      if (/^https?:/.test(href!)) continue;
      const [target, anchor] = href!.split("#") as [string, string | undefined];
      const page = target === "" ? html : (pages.get(target) ?? null);
      if (page === null) {
        const r = await fetch(`${served.origin}${target}`);
        if (r.status !== 200) broken.push(`${path}: ${href} answers ${r.status}`);
        await r.body?.cancel();
      } else if (anchor && !idsOf(page).has(anchor)) broken.push(`${path}: ${href} names no element`);
    }
  }
  expect(broken).toEqual([]);
});

test("the API tokens pages lead to the readable reference and the guide, not only the raw document", async () => {
  const r = await fetch(`${served.origin}/account/api-tokens`, { headers: { cookie: cookieFor(served.inst, specialist.personId) } });
  expect(r.status).toBe(200);
  const html = await r.text();
  expect(html).toContain('href="/api/v1/reference"');
  expect(html).toContain('href="/api/v1/guide"');
});

test("the token's place is named as the pages name it: My account → API tokens (own), Administration → API tokens (every token)", async () => {
  const texts: Record<string, string> = {
    "docs/api.md": readFileSync(join(import.meta.dir, "../docs/api.md"), "utf8"),
    "docs/fhir.md": readFileSync(join(import.meta.dir, "../docs/fhir.md"), "utf8"),
    "401 of /api/v1": await (await fetch(`${served.origin}/api/v1/services`)).text(),
    "401 of /fhir/R4": await (await fetch(`${served.origin}/fhir/R4/Patient`)).text(),
    "CapabilityStatement": await (await fetch(`${served.origin}/fhir/R4/metadata`)).text(),
    "OpenAPI document": await (await fetch(`${served.origin}/api/v1/openapi.json`)).text(),
  };
  for (const [where, text] of Object.entries(texts)) {
    expect({ where, named: text.includes("My account → API tokens") || text.includes("My\naccount → API tokens") }).toEqual({ where, named: true });
    const elsewhere = [...text.matchAll(/(\S+)[\s*]+(?:→|->)\s*\**API tokens/g)].map((m) => m[1]!.replaceAll("*", "")).filter((w) => w !== "account" && w !== "Administration");
    expect({ where, elsewhere }).toEqual({ where, elsewhere: [] });
  }
});
