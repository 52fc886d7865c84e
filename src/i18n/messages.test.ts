import { describe, expect, test } from "bun:test";
import { en, negotiateLocale, ru } from "./messages.ts";

function shape(value: unknown): unknown {
  if (typeof value !== "object" || value === null) return typeof value;
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, shape(v)]).sort());
}

describe("messages", () => {
  test("Russian has every English key, and no empty string", () => {
    expect(shape(ru)).toEqual(shape(en));
    const strings = (o: object): string[] =>
      Object.values(o).flatMap((v) => (typeof v === "string" ? [v] : typeof v === "object" ? strings(v) : []));
    expect([...strings(en), ...strings(ru)].filter((s) => s.trim() === "")).toEqual([]);
  });

  test.each([
    [undefined, "ru-RU,ru;q=0.9,en;q=0.8", "ru"],
    [undefined, "de-DE,de;q=0.9,en;q=0.5,ru;q=0.4", "en"],
    [undefined, "en;q=0.2,ru;q=0.8", "ru"],
    [undefined, "ru;q=0", "en"],
    [undefined, "", "en"],
    [undefined, undefined, "en"],
    ["ru", "en", "ru"],
    ["xx", "ru", "ru"],
  ] as const)("cookie %p, Accept-Language %p → %p", (cookie, header, want) => {
    expect(negotiateLocale(cookie, header)).toBe(want);
  });
});
