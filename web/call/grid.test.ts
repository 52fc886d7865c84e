import { expect, test } from "bun:test";
import { gridFor } from "./grid.ts";

test.each([
  [1, 1280, 720, { cols: 1, rows: 1 }],
  [2, 1280, 720, { cols: 2, rows: 1 }],
  [2, 390, 700, { cols: 1, rows: 2 }],
  [3, 1280, 720, { cols: 2, rows: 2 }],
  [4, 1280, 720, { cols: 2, rows: 2 }],
  [4, 390, 700, { cols: 1, rows: 4 }],
  [7, 1280, 720, { cols: 4, rows: 2 }],
  [7, 390, 700, { cols: 2, rows: 4 }],
])("%i tiles in %i×%i", (count, w, h, expected) => {
  expect(gridFor(count, w, h)).toEqual(expected);
});
