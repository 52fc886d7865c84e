// Debian's Chromium driven by playwright-core, with the flags from the stack notes, in a throw-away profile.
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Browser, chromium } from "playwright-core";

export const CHROMIUM = "/usr/bin/chromium";
export const SCREENSHOTS = join(import.meta.dir, "../../test-output/screenshots");

/**
 * `inNetworkOf`: run Chromium in the network namespace of that process (a test's own network), else in ours.
 * `secureOrigin`: an http origin off loopback that pages may use the camera and microphone on, as on https.
 * `args`: extra Chromium flags for one test (e.g. the TURN/TLS test's `--ignore-certificate-errors`).
 */
export async function launchChromium(options: { inNetworkOf?: number; secureOrigin?: string; args?: readonly string[] } = {}): Promise<Browser> {
  const profile = mkdtempSync(join(tmpdir(), "kabinet-chromium-"));
  let executablePath = CHROMIUM;
  if (options.inNetworkOf) {
    executablePath = join(profile, "chromium-in-namespace");
    writeFileSync(executablePath, `#!/bin/sh\nexec nsenter -t ${options.inNetworkOf} -n ${CHROMIUM} "$@"\n`, { mode: 0o755 });
  }
  return await chromium.launch({
    executablePath,
    headless: true,
    env: { ...process.env, HOME: profile },
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--use-fake-device-for-media-stream",
      "--use-fake-ui-for-media-stream",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
      "--allow-loopback-in-peer-connection",
      ...(options.secureOrigin ? [`--unsafely-treat-insecure-origin-as-secure=${options.secureOrigin}`] : []),
      // The test browsers stand in for people's own browsers, whose calls home are not the appliance's: Chromium's own
      // background services (component updates, autofill, optimization hints) resolve to nothing, so the offline
      // test can tell that nothing else tries to leave.
      "--host-resolver-rules=MAP update.googleapis.com ~NOTFOUND, MAP content-autofill.googleapis.com ~NOTFOUND, MAP optimizationguide-pa.googleapis.com ~NOTFOUND",
      ...(options.args ?? []),
    ],
  });
}

export const PHONE = { width: 390, height: 844 };
export const DESKTOP = { width: 1280, height: 800 };

export function screenshotPath(name: string): string {
  mkdirSync(SCREENSHOTS, { recursive: true });
  return join(SCREENSHOTS, `${name}.png`);
}
