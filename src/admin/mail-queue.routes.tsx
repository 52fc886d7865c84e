// The mail queue for admins: what is waiting, sent or failed, and retrying a failed job.
import type { Context } from "hono";
import { Hono } from "hono";
import { adminOnly, allow } from "../http/access.ts";
import type { AppEnv } from "../http/env.ts";
import { pageContext } from "../http/page.ts";
import type { Installation } from "../installation.ts";
import { jobCounts, listJobs, retryJob } from "../jobs/queue.ts";
import { personZone } from "../people/people.ts";
import { JobsPage } from "./views/mail-queue-page.tsx";

type Deps = Pick<Installation, "db" | "vault" | "config">;

export function mailQueueRoutes(deps: Deps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const page = (c: Context<AppEnv>, notice?: string) =>
    c.html(
      <JobsPage
        page={pageContext(c)}
        smtp={deps.config.smtp ? deps.config.smtp.url.hostname : null}
        counts={jobCounts(deps.db)}
        jobs={listJobs(deps.db, deps.vault, ["pending", "running", "failed", "done", "cancelled"], 100)}
        timeZone={personZone(deps.db, c.get("viewer")!.personId)}
        notice={notice}
      />,
    );
  app.get("/", allow(adminOnly), (c) => page(c));
  app.post("/:id/retry", allow(adminOnly), (c) => {
    const id = Number(c.req.param("id"));
    if (!Number.isSafeInteger(id) || !retryJob(deps.db, id)) return c.notFound();
    return page(c, c.get("t").booking.jobs.retried);
  });
  return app;
}
