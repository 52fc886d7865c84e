// Static assets, embedded in the binary by `with { type: "file" }` and served from it; under `bun run` the same
// imports are paths on disk. Nothing is ever loaded from another origin.
import { Hono } from "hono";
import htmxPath from "htmx.org/dist/htmx.min.js" with { type: "file" };
import picoPath from "@picocss/pico/css/pico.jade.min.css" with { type: "file" };
import appCssPath from "../../web/app.css" with { type: "file" };
import faviconPath from "../../web/favicon.svg" with { type: "file" };
import { callClientScript } from "./call-client.macro.ts" with { type: "macro" };
import { allow, anyone } from "./access.ts";
import type { AppEnv } from "./env.ts";

/** The call client, bundled from web/call.ts when Kabinet is built. */
const CALL_JS: string = callClientScript();

const ASSETS: Record<string, { path: string; type: string } | { text: string; type: string }> = {
  "call.js": { text: CALL_JS, type: "text/javascript; charset=utf-8" },
  "htmx.min.js": { path: htmxPath, type: "text/javascript; charset=utf-8" },
  "pico.min.css": { path: picoPath, type: "text/css; charset=utf-8" },
  "app.css": { path: appCssPath, type: "text/css; charset=utf-8" },
  "favicon.svg": { path: faviconPath, type: "image/svg+xml" },
};

/** The version query that busts caches when the binary changes. */
export function assetUrl(name: keyof typeof ASSETS & string, version: string): string {
  return `/assets/${name}?v=${encodeURIComponent(version)}`;
}

export function assetRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const bodies = new Map<string, Promise<ArrayBuffer>>();
  app.get("/:name", allow(anyone), async (c) => {
    const asset = ASSETS[c.req.param("name")];
    if (!asset) return c.notFound();
    if ("text" in asset) return c.body(asset.text, 200, { "content-type": asset.type, "cache-control": "public, max-age=86400" });
    let body = bodies.get(asset.path);
    if (!body) bodies.set(asset.path, (body = Bun.file(asset.path).arrayBuffer()));
    return c.body(await body, 200, {
      "content-type": asset.type,
      "cache-control": "public, max-age=86400",
    });
  });
  return app;
}
