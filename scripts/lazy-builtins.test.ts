import { expect, test } from "bun:test";
import { deferBuiltinImports } from "./lazy-builtins.ts";

test("built-in imports become requires; others and type imports stay", () => {
  const src = [
    `import net from 'node:net';`,
    `import * as tls from "tls";`,
    `import { connect as connect2, isIP } from "net";`,
    `import dns, { promises as dnsp } from "node:dns";`,
    `import type { OutgoingHttpHeaders } from 'node:http';`,
    `import { z } from "zod";`,
    `const x = "import a from 'net'";`,
  ].join("\n");
  expect(deferBuiltinImports(src).split("\n")).toEqual([
    `const net = require("node:net");`,
    `const tls = require("tls");`,
    `const { connect: connect2, isIP } = require("net");`,
    `const dns = require("node:dns"); const { promises: dnsp } = require("node:dns");`,
    `import type { OutgoingHttpHeaders } from 'node:http';`,
    `import { z } from "zod";`,
    `const x = "import a from 'net'";`,
  ]);
});
