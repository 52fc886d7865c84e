// Static assets, embedded in the binary by `with { type: "file" }` and served from it; under `bun run` the same
// imports are paths on disk. Nothing is ever loaded from another origin.
//
// Each asset's URL carries a hash of its content (`/assets/app.1a2b3c4d5e6f7a8b.css`), taken when the process starts,
// so a browser may keep it for a year: changed content is a new URL, whether or not the version number moved. A URL
// whose hash is not the current content's is a 404, never stale or mismatched content.
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { Hono } from "hono";
import htmxPath from "htmx.org/dist/htmx.min.js" with { type: "file" };
import picoPath from "@picocss/pico/css/pico.jade.min.css" with { type: "file" };
import appCssPath from "../../web/app.css" with { type: "file" };
import faviconPath from "../../web/favicon.svg" with { type: "file" };
import { callClientScript, copyButtonScript, e2eeWorkerScript, mediaCheckScript } from "./call-client.macro.ts" with { type: "macro" };
import { allow, anyone } from "./access.ts";
import type { AppEnv } from "./env.ts";

/** The call client, bundled from web/call.ts when Kabinet is built. */
const CALL_JS: string = callClientScript();
const E2EE_WORKER_JS: string = e2eeWorkerScript();
const COPY_BUTTON_JS: string = copyButtonScript();
const MEDIA_CHECK_JS: string = mediaCheckScript();

const JS = "text/javascript; charset=utf-8";
const CSS = "text/css; charset=utf-8";
const SOURCES = {
  "call.js": { body: () => new TextEncoder().encode(CALL_JS), type: JS },
  "e2ee-worker.js": { body: () => new TextEncoder().encode(E2EE_WORKER_JS), type: JS },
  "copy-button.js": { body: () => new TextEncoder().encode(COPY_BUTTON_JS), type: JS },
  "media-check.js": { body: () => new TextEncoder().encode(MEDIA_CHECK_JS), type: JS },
  "htmx.min.js": { body: () => readFileSync(htmxPath), type: JS },
  "pico.min.css": { body: () => readFileSync(picoPath), type: CSS },
  "app.css": { body: () => readFileSync(appCssPath), type: CSS },
  "favicon.svg": { body: () => readFileSync(faviconPath), type: "image/svg+xml" },
} as const;

export type AssetName = keyof typeof SOURCES;

interface Asset {
  url: string;
  body: Uint8Array<ArrayBuffer>;
  type: string;
}

let loaded: ReadonlyMap<AssetName, Asset> | null = null;

/** Every asset with its content-hashed URL, read once. */
function assets(): ReadonlyMap<AssetName, Asset> {
  if (loaded) return loaded;
  const out = new Map<AssetName, Asset>();
  for (const [name, source] of Object.entries(SOURCES) as [AssetName, (typeof SOURCES)[AssetName]][]) {
    const body = new Uint8Array(source.body());
    const hash = createHash("sha256").update(body).digest("hex").slice(0, 16);
    const dot = name.lastIndexOf(".");
    out.set(name, { url: `/assets/${name.slice(0, dot)}.${hash}${name.slice(dot)}`, body, type: source.type });
  }
  return (loaded = out);
}

/** The asset's URL, named by its content: it changes exactly when the content does. */
export function assetUrl(name: AssetName): string {
  return assets().get(name)!.url;
}

export function assetRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const byUrl = new Map([...assets().values()].map((a) => [a.url, a]));
  app.get("/:file", allow(anyone), (c) => {
    const asset = byUrl.get(`/assets/${c.req.param("file")}`);
    if (!asset) return c.notFound();
    return c.body(asset.body, 200, { "content-type": asset.type, "cache-control": "public, max-age=31536000, immutable" });
  });
  return app;
}
