// Small canvas plots for the demos: axes with ticks, lines, points, a heat map, the line
// w1·x + w2·y + b = 0. No dependencies; redraw everything on each update (the plots are tiny).

export interface PlotOptions {
  x: [number, number];
  y: [number, number];
  xLabel?: string;
  yLabel?: string;
  title?: string;
  /** Logarithmic y axis (values ≤ 0 are clipped to the bottom). */
  logY?: boolean;
}

export const COLORS = {
  blue: '#1f77b4',
  orange: '#ff7f0e',
  green: '#2ca02c',
  red: '#d62728',
  purple: '#9467bd',
  grey: '#888',
};

/** About `count` round tick values covering [min, max]. */
export function niceTicks(min: number, max: number, count = 5): number[] {
  if (!(max > min)) return [min];
  const raw = (max - min) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const out: number[] = [];
  for (let v = Math.ceil(min / step) * step; v <= max + step * 1e-9; v += step)
    out.push(Math.abs(v) < step * 1e-9 ? 0 : v);
  return out;
}

function fmtTick(v: number): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  // 15000 is "15k", not toExponential(0)'s "2e+4", which would repeat its neighbour's label
  if (a >= 1e4 && a < 1e9)
    return a < 1e6 ? `${Number((v / 1e3).toPrecision(3))}k` : `${Number((v / 1e6).toPrecision(3))}M`;
  return a >= 1e9 || a < 1e-3 ? String(Number(v.toPrecision(2)).toExponential()) : String(Number(v.toPrecision(3)));
}

export class Plot {
  readonly g: CanvasRenderingContext2D;
  readonly left = 56;
  readonly right = 10;
  readonly top: number;
  readonly bottom = 34;

  constructor(
    readonly canvas: HTMLCanvasElement,
    public o: PlotOptions,
  ) {
    this.g = canvas.getContext('2d')!;
    this.top = o.title ? 22 : 10;
  }

  get w(): number {
    return this.canvas.width - this.left - this.right;
  }
  get h(): number {
    return this.canvas.height - this.top - this.bottom;
  }
  private ty(v: number): number {
    return this.o.logY ? Math.log10(Math.max(v, 1e-300)) : v;
  }
  px(x: number): number {
    return this.left + ((x - this.o.x[0]) / (this.o.x[1] - this.o.x[0])) * this.w;
  }
  py(y: number): number {
    const [lo, hi] = [this.ty(this.o.y[0]), this.ty(this.o.y[1])];
    const t = (Math.min(Math.max(this.ty(y), lo), hi) - lo) / (hi - lo);
    return this.top + (1 - t) * this.h;
  }

  /** Clear and draw the frame, grid, ticks and labels. */
  axes(): this {
    const { g, o } = this;
    g.clearRect(0, 0, this.canvas.width, this.canvas.height);
    g.fillStyle = '#fff';
    g.fillRect(0, 0, this.canvas.width, this.canvas.height);
    g.font = '11px system-ui, sans-serif';
    g.strokeStyle = '#eee';
    g.fillStyle = '#444';
    g.lineWidth = 1;
    g.textAlign = 'center';
    g.textBaseline = 'top';
    for (const t of niceTicks(o.x[0], o.x[1], Math.max(2, Math.floor(this.w / 60)))) {
      const x = this.px(t);
      g.beginPath();
      g.moveTo(x, this.top);
      g.lineTo(x, this.top + this.h);
      g.stroke();
      // a label at either end stays inside the canvas instead of being cut off
      const label = fmtTick(t);
      const half = g.measureText(label).width / 2 + 1;
      g.fillText(label, Math.min(Math.max(x, half), this.canvas.width - half), this.top + this.h + 4);
    }
    g.textAlign = 'right';
    g.textBaseline = 'middle';
    const yTicks = o.logY
      ? niceTicks(Math.floor(this.ty(o.y[0])), Math.ceil(this.ty(o.y[1])), 5)
          .filter((e) => Number.isInteger(e))
          .map((e) => 10 ** e)
      : niceTicks(o.y[0], o.y[1], Math.max(2, Math.floor(this.h / 40)));
    for (const t of yTicks) {
      if (t < o.y[0] || t > o.y[1]) continue;
      const y = this.py(t);
      g.beginPath();
      g.moveTo(this.left, y);
      g.lineTo(this.left + this.w, y);
      g.stroke();
      g.fillText(fmtTick(t), this.left - 4, y);
    }
    g.strokeStyle = '#999';
    g.strokeRect(this.left, this.top, this.w, this.h);
    g.textAlign = 'center';
    g.textBaseline = 'bottom';
    if (o.xLabel) g.fillText(o.xLabel, this.left + this.w / 2, this.canvas.height - 2);
    if (o.title) {
      g.font = 'bold 12px system-ui, sans-serif';
      g.textBaseline = 'top';
      g.fillText(o.title, this.left + this.w / 2, 4);
      g.font = '11px system-ui, sans-serif';
    }
    if (o.yLabel) {
      g.save();
      g.translate(10, this.top + this.h / 2);
      g.rotate(-Math.PI / 2);
      g.textBaseline = 'middle';
      g.fillText(o.yLabel, 0, 0);
      g.restore();
    }
    return this;
  }

  private clip(fn: () => void): void {
    const { g } = this;
    g.save();
    g.beginPath();
    g.rect(this.left, this.top, this.w, this.h);
    g.clip();
    fn();
    g.restore();
  }

  line(xs: ArrayLike<number>, ys: ArrayLike<number>, color: string, o: { width?: number; dash?: number[] } = {}): this {
    this.clip(() => {
      const { g } = this;
      g.strokeStyle = color;
      g.lineWidth = o.width ?? 1.5;
      g.setLineDash(o.dash ?? []);
      g.beginPath();
      let pen = false;
      let drawn = 0;
      for (let i = 0; i < xs.length; i++) {
        const y = ys[i]!;
        if (!Number.isFinite(y)) {
          pen = false;
          continue;
        }
        if (pen) g.lineTo(this.px(xs[i]!), this.py(y));
        else g.moveTo(this.px(xs[i]!), this.py(y));
        pen = true;
        drawn++;
      }
      g.stroke();
      g.setLineDash([]);
      // a lone point (the first loss of a run) is a dot, not an invisible zero-length line
      if (drawn === 1) {
        const i = Array.from(ys).findIndex(Number.isFinite);
        g.fillStyle = color;
        g.beginPath();
        g.arc(this.px(xs[i]!), this.py(ys[i]!), 3, 0, 2 * Math.PI);
        g.fill();
      }
    });
    return this;
  }

  /** Points; `hollow` ones are drawn as rings (e.g. class 0). */
  points(
    pts: readonly { x: number; y: number; color: string; hollow?: boolean; r?: number; outline?: string }[],
  ): this {
    const { g } = this;
    for (const p of pts) {
      g.beginPath();
      g.arc(this.px(p.x), this.py(p.y), p.r ?? 6, 0, 2 * Math.PI);
      g.lineWidth = 2;
      g.strokeStyle = p.outline ?? p.color;
      g.fillStyle = p.hollow ? '#fff' : p.color;
      g.fill();
      g.stroke();
    }
    return this;
  }

  /**
   * The line w1·x + w2·y + b = 0 and a tint over its side where the expression is ≥ 0
   * (the perceptron's y = 1 region).
   */
  boundary(w1: number, w2: number, b: number, color: string): this {
    const [x0, x1] = this.o.x;
    const [y0, y1] = this.o.y;
    const corners = [
      [x0, y0],
      [x1, y0],
      [x1, y1],
      [x0, y1],
    ] as const;
    const f = (x: number, y: number): number => w1 * x + w2 * y + b;
    // the polygon of the region f ≥ 0 inside the box (Sutherland–Hodgman against one half-plane)
    const poly: [number, number][] = [];
    const cross: [number, number][] = [];
    for (let i = 0; i < 4; i++) {
      const p = corners[i]!;
      const q = corners[(i + 1) % 4]!;
      const fp = f(p[0], p[1]);
      const fq = f(q[0], q[1]);
      if (fp >= 0) poly.push([p[0], p[1]]);
      if (fp >= 0 !== fq >= 0) {
        const t = fp / (fp - fq);
        const c: [number, number] = [p[0] + t * (q[0] - p[0]), p[1] + t * (q[1] - p[1])];
        poly.push(c);
        cross.push(c);
      }
    }
    const { g } = this;
    this.clip(() => {
      if (poly.length >= 3) {
        g.fillStyle = `${color}22`;
        g.beginPath();
        poly.forEach(([x, y], i) => (i ? g.lineTo(this.px(x), this.py(y)) : g.moveTo(this.px(x), this.py(y))));
        g.closePath();
        g.fill();
      }
      // the line itself: its two crossings of the box edges
      if (cross.length >= 2) {
        g.strokeStyle = color;
        g.lineWidth = 2;
        g.beginPath();
        g.moveTo(this.px(cross[0]![0]), this.py(cross[0]![1]));
        g.lineTo(this.px(cross[1]![0]), this.py(cross[1]![1]));
        g.stroke();
      }
    });
    return this;
  }

  /** An n×n grid of values in [0, 1] over the whole box (row 0 at y min), blue → white → orange. */
  heatmap(values: ArrayLike<number>, n: number): this {
    const img = this.g.createImageData(n, n);
    for (let r = 0; r < n; r++) {
      for (let c = 0; c < n; c++) {
        const v = Math.min(1, Math.max(0, values[r * n + c]!));
        const o = 4 * ((n - 1 - r) * n + c);
        const [lo, hi] = [
          [31, 119, 180],
          [255, 127, 14],
        ] as const;
        const t = Math.abs(v - 0.5) * 2;
        const end = v < 0.5 ? lo : hi;
        for (let k = 0; k < 3; k++) img.data[o + k] = Math.round(255 + (end[k]! - 255) * t);
        img.data[o + 3] = 255;
      }
    }
    const tmp = document.createElement('canvas');
    tmp.width = n;
    tmp.height = n;
    tmp.getContext('2d')!.putImageData(img, 0, 0);
    const g = this.g;
    g.imageSmoothingEnabled = true;
    // cell centres sit on the grid points: stretch by half a cell beyond the box, clipped
    const cw = this.w / (n - 1);
    const ch = this.h / (n - 1);
    this.clip(() => g.drawImage(tmp, this.left - cw / 2, this.top - ch / 2, this.w + cw, this.h + ch));
    return this;
  }

  legend(items: readonly { label: string; color: string; dash?: boolean }[]): this {
    const { g } = this;
    g.font = '11px system-ui, sans-serif';
    g.textAlign = 'left';
    g.textBaseline = 'middle';
    // a white box behind the items, so a curve passing under the legend does not cross its text
    const width = 30 + Math.max(0, ...items.map((it) => g.measureText(it.label).width));
    g.fillStyle = 'rgba(255, 255, 255, 0.85)';
    g.fillRect(this.left + 4, this.top + 3, width, 14 * items.length);
    items.forEach((it, i) => {
      const y = this.top + 10 + 14 * i;
      const x = this.left + 8;
      g.strokeStyle = it.color;
      g.lineWidth = 2;
      g.setLineDash(it.dash ? [4, 3] : []);
      g.beginPath();
      g.moveTo(x, y);
      g.lineTo(x + 18, y);
      g.stroke();
      g.setLineDash([]);
      g.fillStyle = '#222';
      g.fillText(it.label, x + 22, y);
    });
    return this;
  }
}

/** Resolve after the browser had a chance to paint (rAF, or a timeout in a hidden tab). */
export function nextFrame(): Promise<void> {
  return new Promise((resolve) => {
    let done = false;
    const finish = (): void => {
      if (done) return;
      done = true;
      resolve();
    };
    requestAnimationFrame(finish);
    setTimeout(finish, 50);
  });
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
