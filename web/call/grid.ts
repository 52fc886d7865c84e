// The grid of remote tiles: as many columns and rows as make each tile largest for this many people in this space.
// Pure (grid.test.ts).

/** Columns and rows for `count` tiles of roughly `aspect` (width / height) in a `width` × `height` area. */
export function gridFor(count: number, width: number, height: number, aspect = 4 / 3): { cols: number; rows: number } {
  let best = { cols: 1, rows: 1, area: 0 };
  for (let cols = 1; cols <= Math.max(1, count); cols++) {
    const rows = Math.ceil(count / cols);
    const w = Math.min(width / cols, (height / rows) * aspect);
    const area = w * (w / aspect);
    // Equal tiles either way: fewer empty cells look tidier.
    const tie = Math.abs(area - best.area) < 1 && cols * rows < best.cols * best.rows;
    if (area > best.area + 1 || tie) best = { cols, rows, area };
  }
  return { cols: best.cols, rows: best.rows };
}
