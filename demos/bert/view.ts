// The BERT page's charts: loss and accuracy curves (published for test/demos.test.ts through
// demos/common/progress.ts), the attention heat map, and what each empty panel will show, and
// when, before it has data.
import { Plot } from '../common/plot';
import { placeholder, publishChart } from '../common/progress';

const $ = <T extends HTMLElement = HTMLElement>(id: string): T => document.getElementById(id) as T;

/** Curves over steps, from the first point, with a legend. */
export function curvePlot(
  id: string,
  title: string,
  xs: number[],
  series: { ys: number[]; color: string; label: string }[],
  yMax?: number,
): void {
  const all = series.flatMap((s) => s.ys).filter(Number.isFinite);
  const last = Object.fromEntries(series.map((s) => [s.label, s.ys.at(-1) ?? NaN]));
  publishChart($<HTMLCanvasElement>(id), xs.length, last);
  const p = new Plot($<HTMLCanvasElement>(id), {
    x: [0, Math.max(1, xs.at(-1) ?? 1)],
    y: [0, yMax ?? Math.max(1e-3, ...all) * 1.05],
    xLabel: 'step',
    title,
  }).axes();
  for (const s of series) p.line(xs, s.ys, s.color);
  p.legend(series.map((s) => ({ label: s.label, color: s.color })));
}

/** What each empty panel will show, and when. */
export function placeholders(): void {
  placeholder(
    $<HTMLCanvasElement>('loss-plot'),
    'MLM and NSP loss per step appear here from the first step once you press Pretrain.',
  );
  placeholder(
    $<HTMLCanvasElement>('acc-plot'),
    'Masked-token and next-sentence accuracy of the training batches appear here during pretraining.',
  );
  placeholder(
    $<HTMLCanvasElement>('ft-plot'),
    'Fine-tuning loss and batch accuracy appear here once you press Fine-tune (after pretraining).',
  );
  placeholder(
    $<HTMLCanvasElement>('att-plot'),
    'An attention heat map of the sentence above appears here: pretrain (or load a folder), then press Show.',
  );
}

/** One head's attention over a sentence: row i (a query token) shades how much it attends to each key token. */
export function drawAttention(
  c: HTMLCanvasElement,
  tokens: readonly string[],
  probs: readonly (readonly number[])[],
): void {
  const g = c.getContext('2d')!;
  const n = tokens.length;
  const m = 90;
  const cell = Math.min(24, (c.width - m) / n);
  g.fillStyle = '#fff';
  g.fillRect(0, 0, c.width, c.height);
  g.font = '11px system-ui, sans-serif';
  g.fillStyle = '#222';
  g.textAlign = 'right';
  g.textBaseline = 'middle';
  tokens.forEach((t, i) => g.fillText(t, m - 4, m + (i + 0.5) * cell));
  tokens.forEach((t, j) => {
    g.save();
    g.translate(m + (j + 0.5) * cell, m - 4);
    g.rotate(-Math.PI / 2);
    g.textAlign = 'left';
    g.fillText(t, 0, 0);
    g.restore();
  });
  probs.forEach((row, i) =>
    row.forEach((p, j) => {
      g.fillStyle = `rgba(31, 119, 180, ${Math.sqrt(p)})`;
      g.fillRect(m + j * cell, m + i * cell, cell - 1, cell - 1);
    }),
  );
}
