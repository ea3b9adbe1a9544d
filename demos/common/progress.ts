// What the lesson pages show while they work, and what they expose for test/demos.test.ts:
// - a Clock: elapsed time and an estimate of the time left from the rate so far;
// - placeholder(): an empty chart says what will appear there and when, instead of a blank box;
// - publishChart(): the chart's point count and the live numbers beside it, as
//   `data-points` on the canvas and `window.__demo.charts[id]`, so a test can check that a
//   short run drew points and that every number shown is finite.

declare global {
  interface Window {
    __demo: Record<string, unknown>;
  }
}

/** `12 s`, `3 min 05 s`, `1 h 02 min`. */
export function fmtSeconds(s: number): string {
  if (!Number.isFinite(s) || s < 0) return '–';
  if (s < 60) return `${Math.round(s)} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${String(Math.round(s % 60)).padStart(2, '0')} s`;
  return `${Math.floor(s / 3600)} h ${String(Math.round((s % 3600) / 60)).padStart(2, '0')} min`;
}

/** Wall clock of one run: started when built (or at `restart`). */
export class Clock {
  private t0 = performance.now();
  /** When the first progress was estimated from: later rates leave out compiling and warm-up. */
  private first: { t: number; done: number } | null = null;

  restart(): void {
    this.t0 = performance.now();
    this.first = null;
  }

  /** Seconds since the start. */
  get elapsed(): number {
    return (performance.now() - this.t0) / 1000;
  }

  /**
   * Seconds left if the remaining `total − done` units go at the rate measured since the first
   * estimate (before a second one: the rate since the start, compiling included); NaN before any.
   */
  left(done: number, total: number): number {
    if (!(done > 0)) return NaN;
    const now = performance.now();
    this.first ??= { t: now, done };
    const msPerUnit = done > this.first.done ? (now - this.first.t) / (done - this.first.done) : (now - this.t0) / done;
    return (msPerUnit / 1000) * Math.max(0, total - done);
  }

  /** "elapsed 12 s, about 40 s left" (no estimate before the first unit is done). */
  text(done: number, total: number): string {
    const left = this.left(done, total);
    return `elapsed ${fmtSeconds(this.elapsed)}${Number.isFinite(left) ? `, about ${fmtSeconds(left)} left` : ''}`;
  }
}

/** Clear a chart and write what will appear there, and when, in its middle. */
export function placeholder(canvas: HTMLCanvasElement, message: string): void {
  const g = canvas.getContext('2d')!;
  g.fillStyle = '#fafafa';
  g.fillRect(0, 0, canvas.width, canvas.height);
  g.fillStyle = '#777';
  g.font = '13px system-ui, sans-serif';
  g.textAlign = 'center';
  g.textBaseline = 'middle';
  // greedy word wrap to 85% of the width
  const lines: string[] = [];
  let line = '';
  for (const word of message.split(' ')) {
    const next = line ? `${line} ${word}` : word;
    if (line && g.measureText(next).width > canvas.width * 0.85) {
      lines.push(line);
      line = word;
    } else line = next;
  }
  if (line) lines.push(line);
  lines.forEach((l, i) => g.fillText(l, canvas.width / 2, canvas.height / 2 + (i - (lines.length - 1) / 2) * 18));
  canvas.dataset.points = '0';
}

export interface ChartState {
  /** Points drawn so far. */
  points: number;
  /** The numbers shown beside the chart (latest values). */
  numbers: Record<string, number>;
}

/** Record what a chart shows (see the file comment). */
export function publishChart(canvas: HTMLCanvasElement, points: number, numbers: Record<string, number> = {}): void {
  canvas.dataset.points = String(points);
  const demo = (window.__demo ??= {});
  const charts = (demo['charts'] ??= {}) as Record<string, ChartState>;
  charts[canvas.id] = { points, numbers };
}
