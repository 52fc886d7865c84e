// `npm run build`: the single binary dist/kabinet with web assets and migrations embedded.
// Usage: bun run scripts/build.ts [--outfile PATH] [--target bun-linux-x64|bun-linux-arm64]
import { parseArgs } from "node:util";
import { LAZY_PACKAGES, lazyBuiltins } from "./lazy-builtins.ts";

const { values } = parseArgs({
  options: { outfile: { type: "string", default: "dist/kabinet" }, target: { type: "string" } },
  strict: true,
});

const started = performance.now();
const result = await Bun.build({
  entrypoints: ["src/main.ts"],
  compile: { outfile: values.outfile!, ...(values.target ? { target: values.target as Bun.Build.CompileTarget } : {}) },
  minify: true,
  bytecode: true,
  format: "esm",
  sourcemap: "none",
  // The mail client and the media stack load on first use; so must the Node built-ins only they need.
  plugins: [lazyBuiltins(LAZY_PACKAGES)],
});
if (!result.success) {
  for (const log of result.logs) console.error(log);
  process.exit(1);
}
const size = Bun.file(values.outfile!).size;
console.log(`built ${values.outfile} (${(size / 1e6).toFixed(1)} MB) in ${Math.round(performance.now() - started)} ms`);
