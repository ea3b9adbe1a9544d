// Scatter labels that never overlap: points come in priority order (e.g. most frequent word
// first); each gets its label at the first of four spots around it (right-up, right-down,
// left-up, left-down) that stays inside the box and clear of every dot and of every label placed
// so far, or none.
// The unlabelled rest are reachable by hover (nearestPoint sets the canvas's title).

export interface LabelPoint {
  /** Canvas pixels. */
  x: number;
  y: number;
  text: string;
}

export interface Box {
  left: number;
  top: number;
  right: number;
  bottom: number;
}

const H = 12; // label height (11 px font)
const GAP = 3; // between the dot and its label

/** Draw at most `max` labels that fit without overlapping; returns how many were drawn. */
export function drawLabels(g: CanvasRenderingContext2D, pts: readonly LabelPoint[], box: Box, max = Infinity): number {
  // every dot is an obstacle too, so no label covers another word's point
  const R = 3;
  const placed: Box[] = pts.map((p) => ({ left: p.x - R, top: p.y - R, right: p.x + R, bottom: p.y + R }));
  const dots = placed.length;
  const free = (r: Box): boolean =>
    r.left >= box.left &&
    r.right <= box.right &&
    r.top >= box.top &&
    r.bottom <= box.bottom &&
    placed.every((p) => r.right <= p.left || r.left >= p.right || r.bottom <= p.top || r.top >= p.bottom);
  g.font = '11px system-ui, sans-serif';
  g.textAlign = 'left';
  g.textBaseline = 'top';
  g.fillStyle = '#222';
  for (const p of pts) {
    if (placed.length - dots >= max) break;
    const w = g.measureText(p.text).width;
    const spots: Box[] = [
      { left: p.x + GAP, top: p.y - GAP - H, right: p.x + GAP + w, bottom: p.y - GAP },
      { left: p.x + GAP, top: p.y + GAP, right: p.x + GAP + w, bottom: p.y + GAP + H },
      { left: p.x - GAP - w, top: p.y - GAP - H, right: p.x - GAP, bottom: p.y - GAP },
      { left: p.x - GAP - w, top: p.y + GAP, right: p.x - GAP, bottom: p.y + GAP + H },
    ];
    const r = spots.find(free);
    if (!r) continue;
    placed.push(r);
    g.fillText(p.text, r.left, r.top);
  }
  return placed.length - dots;
}

/** The point within `radius` pixels of (x, y), nearest first; null when none. */
export function nearestPoint(pts: readonly LabelPoint[], x: number, y: number, radius = 8): LabelPoint | null {
  let best: LabelPoint | null = null;
  let bestD = radius * radius;
  for (const p of pts) {
    const d = (p.x - x) ** 2 + (p.y - y) ** 2;
    if (d <= bestD) [best, bestD] = [p, d];
  }
  return best;
}
