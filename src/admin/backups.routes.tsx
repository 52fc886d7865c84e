// Backups for admins: what was backed up and drilled, and starting either now. Both start in the background (a large
// database takes a while) and the page says so; the outcome lands in status.json and shows on the next visit.
import type { Context } from "hono";
import { Hono } from "hono";
import { recordAudit } from "../audit/audit.ts";
import { backupRunning, createBackup, listBackups } from "../backup/backup.ts";
import { drillRunning, runDrill } from "../backup/drill.ts";
import { readBackupStatus } from "../backup/status.ts";
import { adminOnly, allow } from "../http/access.ts";
import type { AppEnv } from "../http/env.ts";
import { pageContext } from "../http/page.ts";
import type { Installation } from "../installation.ts";
import { personZone } from "../people/people.ts";
import { BackupsPage } from "./views/backups-page.tsx";

type Deps = Pick<Installation, "db" | "vault" | "config" | "masterKeys" | "clock" | "log">;

export function backupsRoutes(deps: Deps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const dir = deps.config.backup.dir;
  const page = (c: Context<AppEnv>, notice?: string) =>
    c.html(
      <BackupsPage
        page={pageContext(c)}
        backup={deps.config.backup}
        status={readBackupStatus(dir)}
        files={listBackups(dir)}
        running={{ backup: backupRunning(dir), drill: drillRunning(dir) }}
        timeZone={personZone(deps.db, c.get("viewer")!.personId)}
        notice={notice}
      />,
    );
  app.get("/", allow(adminOnly), (c) => page(c));
  app.post("/now", allow(adminOnly), (c) => {
    // Audited by the backup itself (backup.create, with this admin as the actor) once it is written.
    void createBackup(deps, c.get("viewer")!.personId).catch((err) => deps.log.error("backup failed", { error: (err as Error).name }));
    return page(c, c.get("t").backups.backupStarted);
  });
  app.post("/drill", allow(adminOnly), (c) => {
    deps.db.transaction((tx) => recordAudit(tx, deps.vault, { actor: c.get("viewer")!.personId, action: "backup.drill", at: c.get("now") }), {
      behavior: "immediate",
    });
    void runDrill(deps).catch((err) => deps.log.error("restore drill failed", { error: (err as Error).name }));
    return page(c, c.get("t").backups.drillStarted);
  });
  return app;
}
