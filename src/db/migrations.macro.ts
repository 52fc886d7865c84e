// A Bun macro: runs when the code is bundled (and when `bun run` transpiles it), reading the migrations that
// drizzle-kit wrote so they travel inside the binary. drizzle's own migrate() reads them from disk at run time,
// which a single binary cannot do.
import { readFileSync } from "node:fs";
import { createHash } from "node:crypto";
import { join } from "node:path";

export interface Migration {
  tag: string;
  /** drizzle's folderMillis: the journal's timestamp, also what `__drizzle_migrations.created_at` records. */
  when: number;
  hash: string;
  statements: string[];
}

export function embeddedMigrations(): Migration[] {
  const dir = join(import.meta.dir, "migrations");
  const journal = JSON.parse(readFileSync(join(dir, "meta/_journal.json"), "utf8")) as {
    entries: { tag: string; when: number }[];
  };
  return journal.entries.map(({ tag, when }) => {
    const text = readFileSync(join(dir, `${tag}.sql`), "utf8");
    return {
      tag,
      when,
      hash: createHash("sha256").update(text).digest("hex"),
      statements: text.split("--> statement-breakpoint").map((s) => s.trim()).filter((s) => s.length > 0),
    };
  });
}
