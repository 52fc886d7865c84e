// Request body limits: what an anonymous request can make the server hold in memory.
//
// Bun's maxRequestBodySize is one limit for the whole server, so it must admit the largest upload (a file shared in a
// room). Bun does not read a body until a handler asks for it, but every form handler does, so without this a
// stranger could make any route buffer an upload-sized body (40 parallel 20 MB posts: ~1 GB resident). Here every
// request except the upload routes is held to FORM_BYTES before anything reads it: by its Content-Length when it has
// one (refused unread), by counting the stream otherwise. The 413 closes the connection so the sender stops.
import type { MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import type { AppEnv } from "./env.ts";
import { respond } from "./errors.tsx";

/** Far above any form Kabinet has (its longest field is 2,000 characters), far below an upload. */
export const FORM_BYTES = 128 * 1024;

/** Bodies up to FORM_BYTES, except POSTs to a path that `uploads` matches (held by Bun's server-wide limit instead). */
export function limitRequestBodies(uploads: RegExp): MiddlewareHandler<AppEnv> {
  const small = bodyLimit({
    maxSize: FORM_BYTES,
    onError: async (c) => {
      const t = c.get("t");
      c.header("connection", "close");
      return await respond(c, 413, t.errors.tooLargeTitle, t.errors.tooLargeText);
    },
  });
  return async (c, next) => {
    if (c.req.method === "POST" && uploads.test(c.req.path)) return await next();
    return await small(c, next);
  };
}
