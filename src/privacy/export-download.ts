// The HTTP side of a data export: audit, then the streamed ZIP as an attachment. Shared by the client's own download
// and an admin's download for a client from the request queue.
import { join } from "node:path";
import type { AccountDeps } from "../accounts/sign-in.ts";
import { recordAudit } from "../audit/audit.ts";
import { exportClientData, exportFileName, type ExportOptions } from "./export.ts";

/** The audited action; src/anomalies/rules.ts raises an alert for any `*.export`. */
export const EXPORT_ACTION = "record.export";

/**
 * Null when the person cannot be exported (no such client, or erased). The audit entry is written before the first
 * byte: a download that fails half-way was still a disclosure attempt and stays on record.
 */
export function downloadResponse(deps: AccountDeps, personId: string, actor: string, options: ExportOptions, details: { by: "self" | "staff"; request?: string }): Response | null {
  const onFailure = (err: Error) => deps.log.error("a data export stopped part-way; the download is broken, ask the person to try again (a damaged sealed file needs a restore from backup)", { cause: err.message });
  const stream = exportClientData({ db: deps.db, vault: deps.vault, filesDir: join(deps.config.dataDir, "files") }, personId, { ...options, onFailure });
  if (!stream) return null;
  deps.db.transaction((tx) => recordAudit(tx, deps.vault, { actor, action: EXPORT_ACTION, target: personId, details, at: options.now }), { behavior: "immediate" });
  return new Response(stream, {
    headers: {
      "content-type": "application/zip",
      "content-disposition": `attachment; filename="${exportFileName(options.now, options.timeZone)}"`,
      "cache-control": "no-store",
      "x-content-type-options": "nosniff",
    },
  });
}
