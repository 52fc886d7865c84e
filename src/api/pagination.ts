// Cursor pagination over a sorted list: the cursor names the last item's sort key, so a page never repeats or skips
// an item when others are added before it. Opaque to clients (base64url JSON), checked when read back: a cursor of
// another list (another key's shape) is refused, not read as "past the end".
import { AppError } from "../http/app-error.ts";

/** The types of a list's sort key, in order: [start, id] is ["number", "string"]. */
export type CursorShape = readonly ("string" | "number")[];

export function encodeCursor(key: readonly (string | number)[]): string {
  return Buffer.from(JSON.stringify(key)).toString("base64url");
}

/** The key in a cursor, or null when it was not made by encodeCursor (the caller answers 400). */
export function decodeCursor(cursor: string): (string | number)[] | null {
  try {
    const key: unknown = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
    return Array.isArray(key) && key.every((k) => typeof k === "string" || typeof k === "number") ? key : null;
  } catch {
    return null;
  }
}

/** Items after the cursor's key in a list sorted by `keyOf`, at most `limit`, and the next cursor. */
export function paginate<T>(items: readonly T[], keyOf: (item: T) => (string | number)[], limit: number, after: (string | number)[] | null): { items: T[]; next: string | null } {
  const start = after ? items.findIndex((item) => compareKeys(keyOf(item), after) > 0) : 0;
  const rest = start < 0 ? [] : items.slice(start);
  const page = rest.slice(0, limit);
  return { items: page, next: rest.length > limit ? encodeCursor(keyOf(page.at(-1)!)) : null };
}

function compareKeys(a: (string | number)[], b: (string | number)[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const x = a[i];
    const y = b[i];
    if (x === y) continue;
    if (x === undefined) return -1;
    if (y === undefined) return 1;
    return x < y ? -1 : 1;
  }
  return 0;
}

/** The key of a page request's cursor, or a 400 when it is not one this list gave out (garbled, or another list's). */
export function cursorKey(cursor: string | undefined, shape: CursorShape): (string | number)[] | null {
  if (cursor === undefined) return null;
  const key = decodeCursor(cursor);
  if (!key || key.length !== shape.length || key.some((k, i) => typeof k !== shape[i])) {
    throw new AppError(400, "The cursor is not one this list gave out (a cursor belongs to the list and route that returned it): start again without it.");
  }
  return key;
}
