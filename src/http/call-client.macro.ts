// A Bun macro: bundles web/call.ts for browsers when Kabinet is built (or transpiled under `bun run`), so the call
// client travels inside the binary as a string. Bun.build cannot run inside a macro; the CLI can.
import { join } from "node:path";

export function callClientScript(): string {
  return bundle("call.ts");
}

/** The call's frame-encryption worker (web/call/e2ee/worker.ts): its own script, as workers are. */
export function e2eeWorkerScript(): string {
  return bundle("call/e2ee/worker.ts");
}

/** The copy buttons of pages that show something to keep (recovery codes). */
export function copyButtonScript(): string {
  return bundle("copy-button.ts");
}

/** The admin media page's path check (src/admin/views/media-page.tsx). */
export function mediaCheckScript(): string {
  return bundle("media-check.ts");
}

function bundle(file: string): string {
  const entry = join(import.meta.dir, "../../web", file);
  const r = Bun.spawnSync([process.execPath, "build", entry, "--target=browser", "--format=esm", "--minify"]);
  if (r.exitCode !== 0) throw new Error(`bundling web/${file} failed: ${r.stderr.toString()}`);
  return r.stdout.toString();
}
