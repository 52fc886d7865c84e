// The start page. Anyone may call it: signed in, it is the person's dashboard; half-way through sign-in, it sends
// them to the step they must finish; signed out, to /signin.
import { Hono } from "hono";
import { allow, anyone, nextStepPath } from "../http/access.ts";
import type { AppEnv } from "../http/env.ts";
import { pageContext } from "../http/page.ts";
import { getCookie } from "hono/cookie";
import { ROOM_INVITE_COOKIE } from "../rooms/rooms.routes.tsx";
import { HomePage } from "./views/home-page.tsx";

export function homeRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.get("/", allow(anyone), (c) => {
    const viewer = c.get("viewer");
    if (viewer?.session.stage !== "full") return c.redirect(nextStepPath(viewer?.session.stage), 303);
    // Someone who opened a consultation link before signing in goes on to it now.
    if (getCookie(c, ROOM_INVITE_COOKIE)) return c.redirect("/rooms/join", 303);
    return c.html(<HomePage page={pageContext(c)} name={viewer.name} />);
  });
  return app;
}
