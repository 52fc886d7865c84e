// The database as a newer Kabinet would find it: the last migration not applied yet. The last migration's statements
// are reversed (a created table or index dropped, an added column dropped, in reverse order), so the tests that need a
// pending migration keep working whatever the newest migration is. A statement it cannot reverse fails loudly.
import { Database } from "bun:sqlite";
import { embeddedMigrations } from "../../src/db/migrations.macro.ts";

export function undoLastMigration(path: string): void {
  const last = embeddedMigrations().at(-1)!;
  const db = new Database(path);
  db.transaction(() => {
    db.run("DELETE FROM __drizzle_migrations WHERE created_at = (SELECT MAX(created_at) FROM __drizzle_migrations)");
    for (const statement of [...last.statements].reverse()) for (const undo of reverse(statement)) db.run(undo);
  })();
  db.run("PRAGMA wal_checkpoint(TRUNCATE)");
  db.close();
}

function reverse(statement: string): string[] {
  const table = statement.match(/^CREATE TABLE `([^`]+)`/);
  if (table) return [`DROP TABLE \`${table[1]}\``];
  const index = statement.match(/^CREATE (?:UNIQUE )?INDEX `([^`]+)`/);
  if (index) return [`DROP INDEX \`${index[1]}\``];
  const trigger = statement.match(/^CREATE TRIGGER `([^`]+)`/);
  if (trigger) return [`DROP TRIGGER \`${trigger[1]}\``];
  // A backfill changes rows, not the structure: undone with the columns it filled.
  if (/^UPDATE `/.test(statement)) return [];
  const column = statement.match(/^ALTER TABLE `([^`]+)` ADD `([^`]+)`/);
  if (column) return [`ALTER TABLE \`${column[1]}\` DROP COLUMN \`${column[2]}\``];
  // A dropped table comes back as an earlier migration created it, with its indexes (empty: its rows are gone).
  const dropped = statement.match(/^DROP TABLE `([^`]+)`/);
  if (dropped) {
    const earlier = embeddedMigrations().slice(0, -1).flatMap((m) => m.statements);
    const create = earlier.find((s) => s.startsWith(`CREATE TABLE \`${dropped[1]}\``));
    if (create) return [create, ...earlier.filter((s) => new RegExp(`^CREATE (?:UNIQUE )?INDEX \`[^\`]+\` ON \`${dropped[1]}\``).test(s))];
  }
  throw new Error(`undoLastMigration: cannot reverse ${statement.slice(0, 80)}`);
}
