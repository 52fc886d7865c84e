// The backups page for admins: the schedule and retention, what the last backup, copy off the box and restore drill
// did (a failure newer than the last success shown as a problem), the backups in the folder, and two buttons.
import type { BackupStatus } from "../../backup/status.ts";
import { formatBytes } from "../../backup/backup.ts";
import type { Config } from "../../config.ts";
import { dateTimeFormat } from "../../i18n/format.ts";
import { ActionButton, Notice } from "../../views/form.tsx";
import { Layout, type PageContext } from "../../views/layout.tsx";

export function BackupsPage(p: {
  page: PageContext;
  backup: Config["backup"];
  status: BackupStatus;
  files: readonly { name: string; at: number; bytes: number }[];
  running: { backup: boolean; drill: boolean };
  timeZone: string;
  notice?: string;
}): JSX.Element {
  const b = p.page.t.backups;
  const when = dateTimeFormat(p.page, p.timeZone);
  const { status, backup } = p;
  const run = (r: { at: number; file: string; bytes: number; ms: number }) => b.run(when.format(r.at), r.file, formatBytes(r.bytes), (r.ms / 1000).toFixed(1));
  const outcome = (last: BackupStatus["lastBackup"], failure: BackupStatus["lastBackupFailure"]) => (
    <>
      {last ? <span>{run(last)}</span> : <span>{b.never}</span>}
      {failure && failure.at > (last?.at ?? 0) ? (
        <p role="alert" class="kb-alert">
          {b.failed(when.format(failure.at), failure.problem)}
        </p>
      ) : null}
    </>
  );
  const drill = status.lastDrill;
  return (
    <Layout page={p.page} title={b.title}>
      <h1>{b.title}</h1>
      {p.notice ? <Notice>{p.notice}</Notice> : null}
      <p>{b.intro}</p>
      <h2>{b.schedule}</h2>
      <ul>
        <li>{backup.everyHours > 0 ? b.every(backup.everyHours) : b.noSchedule}</li>
        <li>{b.retention(backup.keep.daily, backup.keep.weekly, backup.keep.monthly)}</li>
        <li>{backup.drillEveryDays > 0 ? b.drillEvery(backup.drillEveryDays) : b.noDrill}</li>
      </ul>
      <dl class="kb-facts">
        <dt>{b.dir}</dt>
        <dd>{backup.dir}</dd>
        <dt>{b.offsite}</dt>
        <dd>{backup.sftp ? b.offsiteTo(backup.sftp.url.host) : b.noOffsite}</dd>
      </dl>
      <h2>{b.status}</h2>
      <dl class="kb-facts">
        <dt>{b.lastBackup}</dt>
        <dd>{outcome(status.lastBackup, status.lastBackupFailure)}</dd>
        {backup.sftp || status.lastOffsite || status.lastOffsiteFailure ? (
          <>
            <dt>{b.lastOffsite}</dt>
            <dd>{outcome(status.lastOffsite, status.lastOffsiteFailure)}</dd>
          </>
        ) : null}
        <dt>{b.lastDrill}</dt>
        <dd>
          {!drill ? (
            b.never
          ) : drill.ok ? (
            b.drillOk(when.format(drill.at), drill.file, Object.values(drill.rows).reduce((n, c) => n + c, 0))
          ) : (
            <p role="alert" class="kb-alert">
              {b.drillFailed(when.format(drill.at), drill.file, drill.problem ?? "")}
            </p>
          )}
        </dd>
      </dl>
      {drill?.ok ? (
        <details>
          <summary>{b.rowsPerTable}</summary>
          <div class="kb-table">
            <table>
              <thead>
                <tr>
                  <th scope="col">{b.table}</th>
                  <th scope="col">{b.rows}</th>
                </tr>
              </thead>
              <tbody>
                {Object.entries(drill.rows).map(([table, n]) => (
                  <tr>
                    <td>{table}</td>
                    <td>{n}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </details>
      ) : null}
      {p.running.backup ? <p role="status">{b.backupRunning}</p> : null}
      {p.running.drill ? <p role="status">{b.drillRunning}</p> : null}
      <p>
        <ActionButton action="/admin/backups/now" label={b.backupNow} />
        <ActionButton action="/admin/backups/drill" label={b.drillNow} variant="secondary" />
      </p>
      <h2>{b.files}</h2>
      {p.files.length === 0 ? (
        <p>{b.noFiles}</p>
      ) : (
        <div class="kb-table">
          <table>
            <thead>
              <tr>
                <th scope="col">{b.file}</th>
                <th scope="col">{b.made}</th>
                <th scope="col">{b.size}</th>
              </tr>
            </thead>
            <tbody>
              {p.files.map((f) => (
                <tr>
                  <td>{f.name}</td>
                  <td>{when.format(f.at)}</td>
                  <td>{formatBytes(f.bytes)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </Layout>
  );
}
