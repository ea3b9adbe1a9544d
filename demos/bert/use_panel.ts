// The BERT page's panels that use a trained encoder: fill-mask (top-5 tokens at each [MASK]),
// cosine similarities of an ambiguous word's contextual vectors, and one head's attention map.
import { bert } from '../../src/index';
import { drawAttention } from './view';
import { $, esc, results, st } from './page';

export async function fillMask(): Promise<void> {
  const res = await st.inf!.fillMask($<HTMLInputElement>('fill-text').value, 5);
  results.fillMask = res;
  if (!res.length) {
    $('fill-out').innerHTML = '<p class="bad">Write [MASK] somewhere in the text.</p>';
    return;
  }
  $('fill-out').innerHTML = res
    .map(
      (r, i) =>
        `<table><tr><th class="l">[MASK] ${i + 1}</th><th>probability</th></tr>${r.candidates.map((c) => `<tr><td class="l">${esc(c.tokenStr)}</td><td>${c.score.toFixed(3)}</td></tr>`).join('')}</table>`,
    )
    .join('<br>');
}

export async function compareContexts(): Promise<void> {
  const word = $<HTMLInputElement>('ctx-word').value.trim();
  const texts = ['ctx-a', 'ctx-b', 'ctx-c', 'ctx-d'].map((id) => $<HTMLInputElement>(id).value);
  try {
    const vecs: Float32Array[] = [];
    for (const t of texts) vecs.push(await st.inf!.wordVector(t, word));
    const sims = vecs.map((a) => vecs.map((b) => bert.cosine(a, b)));
    results.cosines = sims;
    $('ctx-out').innerHTML = `<table><tr><th></th>${texts.map((_, j) => `<th>${j + 1}</th>`).join('')}</tr>${sims
      .map(
        (row, i) =>
          `<tr><td class="l">${i + 1}. ${esc(texts[i]!)}</td>${row.map((v) => `<td>${v.toFixed(3)}</td>`).join('')}</tr>`,
      )
      .join('')}</table><p class="note">Same-sense pairs (1–2, 3–4) should be more alike than cross-sense pairs.</p>`;
  } catch (e) {
    $('ctx-out').innerHTML = `<p class="bad">${esc((e as Error).message)}</p>`;
  }
}

export function fillAttentionSelects(cfg: bert.BertConfig): void {
  const opts = (n: number): string => Array.from({ length: n }, (_, i) => `<option>${i}</option>`).join('');
  $('att-layer').innerHTML = opts(cfg.layers);
  $('att-head').innerHTML = opts(cfg.heads);
}

export async function attention(): Promise<void> {
  const { tokens, probs } = await st.inf!.attention(
    $<HTMLInputElement>('att-text').value,
    Number($<HTMLSelectElement>('att-layer').value),
    Number($<HTMLSelectElement>('att-head').value),
  );
  drawAttention($<HTMLCanvasElement>('att-plot'), tokens, probs);
  results.attention = { tokens, rows: probs.length };
}
