// Opens the SQLite database with the pragmas every connection needs and applies the embedded migrations.
import { Database } from "bun:sqlite";
import { drizzle, type BunSQLiteDatabase } from "drizzle-orm/bun-sqlite";
import type { BaseSQLiteDatabase } from "drizzle-orm/sqlite-core";
import { embeddedMigrations } from "./migrations.macro.ts" with { type: "macro" };
import * as schema from "./schema.ts";

export type DB = BunSQLiteDatabase<typeof schema> & { $client: Database };
/** The database or a transaction inside it: what every store function takes first. */
export type Queryable = BaseSQLiteDatabase<"sync", void, typeof schema>;

const MIGRATIONS = embeddedMigrations();
const MIGRATIONS_TABLE = "__drizzle_migrations";

export function openDatabase(path: string): DB {
  const client = new Database(path, { create: true, strict: true });
  // WAL lets readers run beside the writer; FULL makes an acknowledged commit survive power loss.
  client.run("PRAGMA journal_mode = WAL");
  client.run("PRAGMA synchronous = FULL");
  client.run("PRAGMA foreign_keys = ON");
  client.run("PRAGMA busy_timeout = 5000");
  client.run("PRAGMA secure_delete = ON"); // freed pages are zeroed, so deleted personal data does not linger
  // drizzle prepares every query anew; bun:sqlite's query() keeps compiled statements per SQL text. Compiling was a
  // tenth of the slot page's time. (drizzle never finalizes statements, so sharing a cached one is safe.)
  client.prepare = ((sql: string) => client.query(sql)) as typeof client.prepare;
  return drizzle({ client, schema }) as DB;
}

export type MigrationState =
  | { kind: "current"; applied: number }
  | { kind: "behind"; applied: number; pending: number }
  | { kind: "newer"; applied: number; known: number };

/** Where the database stands against the migrations this build carries. */
export function migrationState(db: DB): MigrationState {
  const client = db.$client;
  const exists = client
    .query("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?")
    .get(MIGRATIONS_TABLE);
  if (!exists) return { kind: "behind", applied: 0, pending: MIGRATIONS.length };
  const rows = client.query(`SELECT hash, created_at AS at FROM ${MIGRATIONS_TABLE}`).all() as {
    hash: string;
    at: number;
  }[];
  const known = new Set(MIGRATIONS.map((m) => m.when));
  const latestKnown = MIGRATIONS.at(-1)?.when ?? 0;
  if (rows.some((r) => Number(r.at) > latestKnown || !known.has(Number(r.at)))) {
    return { kind: "newer", applied: rows.length, known: MIGRATIONS.length };
  }
  const pending = MIGRATIONS.length - rows.length;
  return pending === 0 ? { kind: "current", applied: rows.length } : { kind: "behind", applied: rows.length, pending };
}

export class NewerDatabaseError extends Error {
  constructor(applied: number, known: number) {
    super(
      `the database was written by a newer version of Kabinet (${applied} migrations applied, this version knows ` +
        `${known}); run the newer version or restore a backup made by this one`,
    );
  }
}

/** Applies pending migrations in one transaction; refuses a database from a newer Kabinet. Returns how many ran. */
export function migrate(db: DB): number {
  const state = migrationState(db);
  if (state.kind === "newer") throw new NewerDatabaseError(state.applied, state.known);
  if (state.kind === "current") return 0;
  const client = db.$client;
  const run = client.transaction(() => {
    client.run(`CREATE TABLE IF NOT EXISTS ${MIGRATIONS_TABLE} (id INTEGER PRIMARY KEY, hash TEXT NOT NULL, created_at NUMERIC)`);
    const last = client.query(`SELECT MAX(created_at) AS at FROM ${MIGRATIONS_TABLE}`).get() as { at: number | null };
    let ran = 0;
    for (const m of MIGRATIONS) {
      if (last.at !== null && m.when <= Number(last.at)) continue;
      for (const statement of m.statements) client.run(statement);
      client.query(`INSERT INTO ${MIGRATIONS_TABLE} (hash, created_at) VALUES (?, ?)`).run(m.hash, m.when);
      ran++;
    }
    return ran;
  });
  return run.immediate();
}
