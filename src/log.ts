// Structured JSON logs, one object per line on stdout. Callers pass ids, counts, routes and codes; never personal
// data, secrets, query strings or request bodies (the HTTP logger records the route pattern, not the URL).
import type { LogLevel } from "./config.ts";

export type LogFields = Readonly<Record<string, string | number | boolean | null | undefined>>;

export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
}

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export function createLogger(level: LogLevel, write: (line: string) => void = (l) => process.stdout.write(l)): Logger {
  const at = (lvl: LogLevel) =>
    RANK[lvl] < RANK[level]
      ? () => {}
      : (msg: string, fields?: LogFields) =>
          write(`${JSON.stringify({ time: new Date().toISOString(), level: lvl, msg, ...fields })}\n`);
  return { debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") };
}
