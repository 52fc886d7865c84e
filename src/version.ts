import pkg from "../package.json" with { type: "json" };

/** The release version, bundled into the binary from package.json. */
export const VERSION: string = pkg.version;
