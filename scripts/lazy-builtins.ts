// A Bun build plugin: in libraries Kabinet loads only on first use (the mail client, the media stack), Node built-in
// imports become `require` calls inside the module. The bundler hoists ESM imports of built-ins to the top of the
// single-file bundle, so `node:net`, `node:http`, `node:tls`… were initialised at every start although nothing needs
// them until the first mail or call (a third of start-up). A `require` runs when its module first runs.
import { builtinModules } from "node:module";
import type { BunPlugin } from "bun";

/** Libraries Kabinet loads on first use: the mail client and the media stack. */
export const LAZY_PACKAGES: readonly string[] = ["nodemailer", "werift"];

const BUILTINS = new Set([...builtinModules, ...builtinModules.map((m) => `node:${m}`)]);
// import X from "m" | import * as X from "m" | import { a, b as c } from "m" | import X, { a } from "m"
const IMPORT = /^import\s+(?!type\b)([^'";]+?)\s+from\s+(['"])([^'"]+)\2;?[ \t]*$/gm;

/** Rewrites the built-in imports of one ES module; other imports stay as they are. */
export function deferBuiltinImports(source: string): string {
  return source.replace(IMPORT, (whole, clause: string, _q: string, spec: string) => {
    if (!BUILTINS.has(spec)) return whole;
    const req = `require(${JSON.stringify(spec)})`;
    const parts: string[] = [];
    const c = clause.trim();
    const named = /\{([^}]*)\}/.exec(c);
    const head = c.replace(/,?\s*\{[^}]*\}\s*/, "").trim();
    if (head.startsWith("* as ")) parts.push(`const ${head.slice(5).trim()} = ${req};`);
    else if (head) parts.push(`const ${head} = ${req};`);
    if (named) {
      const bindings = named[1]!
        .split(",")
        .map((b) => b.trim())
        .filter(Boolean)
        .map((b) => b.replace(/^type\s+/, "").replace(/\s+as\s+/, ": "));
      if (bindings.length) parts.push(`const { ${bindings.join(", ")} } = ${req};`);
    }
    return parts.join(" ");
  });
}

export function lazyBuiltins(packages: readonly string[]): BunPlugin {
  const filter = new RegExp(`node_modules/(${packages.map((p) => p.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")).join("|")})/.*\\.m?js$`);
  return {
    name: "lazy-builtins",
    setup(build) {
      build.onLoad({ filter }, async (args) => ({ contents: deferBuiltinImports(await Bun.file(args.path).text()), loader: "js" }));
    },
  };
}
