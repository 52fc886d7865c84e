// Files imported `with { type: "file" }` resolve to a path: on disk under `bun run`, inside the binary when compiled.
declare module "*.css" {
  const path: string;
  export default path;
}
declare module "htmx.org/dist/htmx.min.js" {
  const path: string;
  export default path;
}

declare module "*.svg" {
  const path: string;
  export default path;
}
