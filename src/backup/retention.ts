// Which backups to keep (grandfather-father-son): the newest backup of each of the last `daily` days, `weekly` ISO
// weeks and `monthly` months that have a backup (UTC), and always the newest of all. Counting periods that have a
// backup, not calendar periods back from today, means a stretch without backups never deletes the older ones.

export const BACKUP_NAME = /^kabinet-(\d{4})-(\d{2})-(\d{2})T(\d{2})-(\d{2})-(\d{2})Z(?:-(\d+))?\.kbk$/;

/** The name a backup made at `at` gets: `kabinet-2026-12-03T14-39-51Z.kbk` (no colons: valid on every file system). */
export function backupName(at: number, n = 0): string {
  const stamp = new Date(at).toISOString().slice(0, 19).replaceAll(":", "-");
  return `kabinet-${stamp}Z${n > 0 ? `-${n}` : ""}.kbk`;
}

/** When a backup was made, from its name; null for a name that is not a backup's. */
export function backupTime(name: string): number | null {
  const m = BACKUP_NAME.exec(name);
  if (!m) return null;
  return Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6])) + Number(m[7] ?? 0);
}

export interface Keep {
  daily: number;
  weekly: number;
  monthly: number;
}

/** The backup names to delete from `names` (other files are never touched). */
export function backupsToDelete(names: readonly string[], keep: Keep): string[] {
  const backups = names
    .map((name) => ({ name, at: backupTime(name) }))
    .filter((b): b is { name: string; at: number } => b.at !== null)
    .sort((a, b) => b.at - a.at);
  const kept = new Set<string>();
  if (backups[0]) kept.add(backups[0].name);
  for (const [count, period] of [
    [keep.daily, day],
    [keep.weekly, isoWeek],
    [keep.monthly, month],
  ] as const) {
    const seen = new Set<string>();
    for (const b of backups) {
      if (seen.size >= count) break;
      const key = period(b.at);
      if (seen.has(key)) continue;
      seen.add(key);
      kept.add(b.name);
    }
  }
  return backups.filter((b) => !kept.has(b.name)).map((b) => b.name);
}

function day(at: number): string {
  return new Date(at).toISOString().slice(0, 10);
}

function month(at: number): string {
  return new Date(at).toISOString().slice(0, 7);
}

/** ISO 8601 week, e.g. "2026-W49": weeks start on Monday; week 1 holds the year's first Thursday. */
export function isoWeek(at: number): string {
  const d = new Date(at);
  const date = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()));
  const weekday = date.getUTCDay() || 7;
  date.setUTCDate(date.getUTCDate() + 4 - weekday); // the Thursday of this week decides its year
  const yearStart = Date.UTC(date.getUTCFullYear(), 0, 1);
  const week = Math.ceil(((date.getTime() - yearStart) / 86_400_000 + 1) / 7);
  return `${date.getUTCFullYear()}-W${String(week).padStart(2, "0")}`;
}
