// A Bun macro: at bundle time, the ~49k common passwords from zxcvbn-ts' list, lower-cased, one per line, gzipped and
// base64-encoded into one string. Importing the package at run time would bring all its dictionaries (names, words,
// keyboard graphs) into the binary as code; this keeps only the list we check against, as data.
import { dictionary } from "@zxcvbn-ts/language-common";
import { gzipSync } from "node:zlib";

export function commonPasswordsGzipBase64(): string {
  const words = [...new Set(dictionary["passwords-common"].map((p) => p.toLowerCase()))].join("\n");
  return gzipSync(words, { level: 9 }).toString("base64");
}
