// Search parameters and searchset Bundles. Each resource declares its parameters once (the CapabilityStatement lists
// the same declarations); a parameter not declared is refused with 400 naming it, unless the client sends
// `Prefer: handling=lenient` (FHIR leaves the default to the server: a silently ignored misspelt filter would return
// more than was asked). Paging reuses the API's cursor (src/api/pagination.ts): `_cursor` names the last item's sort
// key, so a page never repeats or skips an item when others are added meanwhile; `total` counts every match, which is
// why a search filtering on personal data is audited even when it returns no entry (`_count=0`): see reads.ts.
import type { Bundle, Resource } from "@medplum/fhirtypes";
import type { Context } from "hono";
import { decodeCursor, paginate } from "../api/pagination.ts";
import type { Scope } from "../api/scopes.ts";

export interface SearchParamDecl {
  name: string;
  type: "token" | "string" | "date" | "reference";
  documentation: string;
  /** A filter on personal data (an email, a name, whose appointments): every search using it is audited (reads.ts). */
  personal?: true;
}

export interface ResourceDecl {
  type: "Patient" | "Practitioner" | "Schedule" | "Slot" | "Appointment";
  scope: Scope;
  documentation: string;
  searchParams: SearchParamDecl[];
  create?: { scope: Scope; documentation: string };
}

export const DEFAULT_COUNT = 50;
export const MAX_COUNT = 200;

/** Parameters every search takes besides the resource's own. */
const COMMON = new Set(["_count", "_cursor", "_format"]);

export type SearchRequest =
  | { ok: true; params: Map<string, string[]>; count: number; after: (string | number)[] | null }
  | { ok: false; problem: string; expression?: string[] };

/** The search's parameters by name (modifier kept, e.g. "name:exact"), each with its repeated values. */
export function readSearch(c: Context, decl: ResourceDecl): SearchRequest {
  const url = new URL(c.req.url);
  const lenient = /handling=lenient/i.test(c.req.header("prefer") ?? "");
  const params = new Map<string, string[]>();
  for (const [key, value] of url.searchParams) {
    const [name, modifier] = key.split(":", 2) as [string, string | undefined];
    const declared = decl.searchParams.find((p) => p.name === name);
    const modifierOk = modifier === undefined || (declared?.type === "string" && (modifier === "exact" || modifier === "contains"));
    if (!COMMON.has(key) && (!declared || !modifierOk)) {
      if (lenient) continue;
      return { ok: false, problem: `This server does not support the search parameter "${key}" on ${decl.type}. Supported: ${decl.searchParams.map((p) => p.name).join(", ")}, _count. Send "Prefer: handling=lenient" to have unknown parameters ignored.`, expression: [key] };
    }
    if (value.length > 500) return { ok: false, problem: `The value of "${key}" is too long.`, expression: [key] };
    params.set(key, [...(params.get(key) ?? []), value]);
  }
  const countText = params.get("_count")?.at(-1);
  const count = countText === undefined ? DEFAULT_COUNT : Number(countText);
  if (!Number.isInteger(count) || count < 0) return { ok: false, problem: `_count must be a whole number from 0 to ${MAX_COUNT}.`, expression: ["_count"] };
  const format = params.get("_format")?.at(-1);
  if (format !== undefined && !/^(json|application\/(fhir\+)?json)$/.test(format)) return { ok: false, problem: "This server speaks JSON only (_format=json).", expression: ["_format"] };
  const cursor = params.get("_cursor")?.at(-1);
  const after = cursor === undefined ? null : decodeCursor(cursor);
  if (cursor !== undefined && !after) return { ok: false, problem: "The _cursor is not one this server gave out: start the search again without it.", expression: ["_cursor"] };
  return { ok: true, params, count: Math.min(count, MAX_COUNT), after };
}

/** The personal-data filters the search uses (with their modifier, e.g. "name:contains"), sorted; empty values left out. */
export function personalFilters(q: Extract<SearchRequest, { ok: true }>, decl: ResourceDecl): string[] {
  const personal = new Set(decl.searchParams.filter((p) => p.personal).map((p) => p.name));
  return [...q.params.keys()].filter((key) => personal.has(key.split(":")[0]!) && valuesOf(q.params, key).length > 0).sort();
}

/** The values of a parameter: repeats are AND, commas inside one are OR; an empty value is ignored. */
export function valuesOf(params: Map<string, string[]>, name: string): string[][] {
  return (params.get(name) ?? []).map((v) => v.split(",").filter(Boolean)).filter((v) => v.length > 0);
}

/**
 * A searchset of the matches, sorted by `keyOf`, one page of them with a `next` link when more follow. `render`
 * turns the page's items into resources (and is where reads of personal data are audited: only what is returned).
 */
export function searchset<T>(
  c: Context,
  base: string,
  q: Extract<SearchRequest, { ok: true }>,
  all: readonly T[],
  keyOf: (item: T) => (string | number)[],
  render: (page: T[]) => Resource[],
): Bundle {
  const sorted = [...all].sort((a, b) => compare(keyOf(a), keyOf(b)));
  const page = paginate(sorted, keyOf, Math.max(q.count, 1), q.after);
  const items = q.count === 0 ? [] : page.items;
  const url = new URL(c.req.url);
  const self = `${base}${url.pathname.slice("/fhir/R4".length)}`;
  const link = (cursor: string | null) => {
    const params = new URLSearchParams(url.searchParams);
    params.delete("_cursor");
    if (cursor) params.set("_cursor", cursor);
    const qs = params.toString();
    return qs ? `${self}?${qs}` : self;
  };
  const resources = render(items);
  return {
    resourceType: "Bundle",
    type: "searchset",
    total: all.length,
    link: [{ relation: "self", url: link(q.after ? url.searchParams.get("_cursor") : null) }, ...(page.next && q.count > 0 ? [{ relation: "next", url: link(page.next) }] : [])],
    entry: resources.map((resource) => ({ fullUrl: `${base}/${resource.resourceType}/${resource.id}`, resource, search: { mode: "match" as const } })),
  };
}

function compare(a: (string | number)[], b: (string | number)[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) if (a[i] !== b[i]) return (a[i] ?? "") < (b[i] ?? "") ? -1 : 1;
  return 0;
}
