// The README is the admin's manual: it must document every configuration variable and the two commands.
import { expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { VARIABLES } from "../src/config.ts";

const readme = readFileSync(join(import.meta.dir, "../README.md"), "utf8");

test("the README's configuration table names every variable with its example", () => {
  for (const [name, { example }] of Object.entries(VARIABLES)) {
    const row = readme.split("\n").find((l) => l.startsWith(`| \`${name}\``));
    expect(row, name).toBeDefined();
    expect(row).toContain(example);
  }
});

test("the README gives the two fresh-machine commands", () => {
  expect(readme).toContain("npm ci && npm start");
  expect(readme).toContain("npm ci && npm test");
});
