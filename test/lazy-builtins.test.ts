// The lazily loaded libraries must work inside a compiled binary, built the way dist/kabinet is (minified, bytecode,
// built-ins deferred by scripts/lazy-builtins.ts): a probe sends a real mail through aiosmtpd and forwards real media
// through the SFU, loaded as the app loads it. (This caught the SFU failing to load at all in the binary.)
import { afterAll, beforeAll, expect, test } from "bun:test";
import { join } from "node:path";
import { LAZY_PACKAGES, lazyBuiltins } from "../scripts/lazy-builtins.ts";
import { tempDir } from "./support/installation.ts";
import { type SmtpServer, startSmtp } from "./support/smtp.ts";

let smtp: SmtpServer;
beforeAll(async () => {
  smtp = await startSmtp();
});
afterAll(async () => {
  await smtp.stop();
});

test("mail and media work from a binary whose lazy libraries load their built-ins on first use", async () => {
  const outfile = join(tempDir("kabinet-probe-"), "probe");
  const built = await Bun.build({
    entrypoints: [join(import.meta.dir, "support/lazy-probe.ts")],
    compile: { outfile },
    minify: true,
    bytecode: true,
    format: "esm",
    plugins: [lazyBuiltins(LAZY_PACKAGES)],
  });
  expect(built.success).toBe(true);
  const run = Bun.spawnSync([outfile, smtp.url], { stdout: "pipe", stderr: "pipe", timeout: 60_000 });
  const lines = run.stdout.toString().trim().split("\n");
  const result = JSON.parse(lines.at(-1)!);
  expect(result).toEqual({ mail: "sent", videoPackets: expect.any(Number) });
  expect(result.videoPackets).toBeGreaterThanOrEqual(30);
  expect(smtp.messages().some((m) => m.subject === "lazy built-ins")).toBe(true);
}, 120_000);
