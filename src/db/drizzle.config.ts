// drizzle-kit configuration: `npm run db:generate` writes a new migration after a schema change.
import { defineConfig } from "drizzle-kit";

export default defineConfig({
  dialect: "sqlite",
  schema: "./src/db/schema.ts",
  out: "./src/db/migrations",
});
