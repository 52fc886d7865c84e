// Security headers and CSRF defence for every response and request.
//
// CSP: scripts only from this origin and only with the per-response nonce (workers: from this origin); no inline styles, no eval, no framing,
// no plugins; connections only back to this origin (the call client's WebSocket included). Nothing is loaded from
// anywhere else, which is also what keeps every request on the appliance.
// Caching: every response is `Cache-Control: no-store` unless its handler says otherwise (only content-hashed assets
// do). Pages carry names, appointments and notes; a browser on a shared clinic PC would otherwise keep them on disk.
// CSRF: a state-changing request (anything but GET/HEAD/OPTIONS) must come from our own origin. Browsers send Origin
// on such requests; Sec-Fetch-Site covers the rest. A request with neither and with cookies is refused too, since
// only a browser carries the session cookie. Session cookies are SameSite=Lax as a second layer.
import type { MiddlewareHandler } from "hono";
import { NONCE, secureHeaders } from "hono/secure-headers";
import type { AppEnv } from "./env.ts";

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

export function securityHeaders(publicUrl: URL): MiddlewareHandler<AppEnv> {
  const https = publicUrl.protocol === "https:";
  return secureHeaders({
    contentSecurityPolicy: {
      defaultSrc: ["'none'"],
      scriptSrc: [NONCE],
      // The call's frame-encryption worker (/assets/e2ee-worker.*.js); a worker cannot carry a nonce.
      workerSrc: ["'self'"],
      styleSrc: ["'self'"],
      imgSrc: ["'self'", "data:"],
      fontSrc: ["'self'"],
      connectSrc: ["'self'"],
      mediaSrc: ["'self'", "blob:"],
      manifestSrc: ["'self'"],
      formAction: ["'self'"],
      frameAncestors: ["'none'"],
      baseUri: ["'none'"],
      objectSrc: ["'none'"],
      ...(https ? { upgradeInsecureRequests: [] } : {}),
    },
    strictTransportSecurity: https ? "max-age=31536000; includeSubDomains" : false,
    // Not "no-referrer": with it, browsers send `Origin: null` on form posts, and the CSRF check needs the origin.
    referrerPolicy: "same-origin",
    xFrameOptions: "DENY",
    xContentTypeOptions: "nosniff",
    crossOriginOpenerPolicy: "same-origin",
    crossOriginResourcePolicy: "same-origin",
    permissionsPolicy: { camera: ["self"], microphone: ["self"], geolocation: [], payment: [], usb: [] },
    removePoweredBy: true,
    // A handler may set a stricter header of its own (file downloads add `sandbox` to the CSP).
    overwrite: false,
  });
}

/** Responses are personal unless their handler sets a Cache-Control of its own; nothing is kept on disk by default. */
export function noStoreByDefault(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    await next();
    if (!c.res.headers.has("cache-control")) c.header("cache-control", "no-store");
  };
}

/** Null when the request may change state; otherwise why it may not. */
export function crossSiteReason(method: string, headers: Headers, allowedOrigin: string): string | null {
  if (SAFE_METHODS.has(method)) return null;
  const origin = headers.get("origin");
  if (origin !== null) return origin === allowedOrigin ? null : `origin ${origin} is not ${allowedOrigin}`;
  const site = headers.get("sec-fetch-site");
  if (site !== null) return site === "same-origin" || site === "none" ? null : `sec-fetch-site is ${site}`;
  return headers.has("cookie") ? "a request with cookies but no Origin" : null;
}
