import { expect, test } from "bun:test";
import { isReturnPath } from "./access.ts";

test("only plain paths on this site are followed after sign-in", () => {
  for (const ok of ["/appointments/abc", "/book/x?day=2026-12-01&tz=Europe%2FMoscow", "/schedule"]) expect(isReturnPath(ok)).toBe(true);
  for (const bad of ["/", "//evil.example", "/\\evil.example", "https://evil.example/", "evil", "/a b", `/${"x".repeat(400)}`, ""]) expect(isReturnPath(bad)).toBe(false);
});
