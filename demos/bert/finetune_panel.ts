// The BERT page's fine-tuning panel: the library's fine-tuning loop (bert.finetuneBert) from the
// pretrained or loaded weights, drawn live, then held-out accuracy and the checkpoint to download;
// and the classification of a typed sentence.
import { bert } from '../../src/index';
import { COLORS, nextFrame } from '../common/plot';
import { curvePlot } from './view';
import { $, D, num, params, results, st, stopping, trainingStarted } from './page';

/** The library's fine-tuning loop from the pretrained (or loaded) weights, drawn live; then held-out accuracy. */
export async function finetune(): Promise<void> {
  st.cls?.destroy();
  st.cls = undefined;
  const steps = Number(params.get('ftSteps') ?? num('ft-steps'));
  const xs: number[] = [];
  const acc: number[] = [];
  const loss: number[] = [];
  $('status').textContent = 'compiling the classifier graph…';
  $('ft-live').textContent = 'compiling; the first loss appears after the first step';
  const init = st.run ? await st.run.pre.weights() : st.loaded;
  const clock = trainingStarted('ft-stop');
  const o = {
    batch: num('batch'),
    block: num('block'),
    lr: num('ft-lr'),
    steps,
    seed: D.seed,
    freezeEncoder: $<HTMLInputElement>('ft-freeze').checked,
  };
  const r = await bert.finetuneBert(
    st.ctx,
    st.cfg!,
    st.data,
    st.data.s,
    {
      ...o,
      shouldStop: () => stopping,
      onProgress: async (p) => {
        xs.push(p.step);
        acc.push(p.accuracy);
        loss.push(p.loss);
        if (p.step !== 1 && p.step % 5 !== 0 && p.step !== steps) return;
        curvePlot(
          'ft-plot',
          'fine-tuning (training batches)',
          xs,
          [
            { ys: acc, color: COLORS.green, label: 'accuracy' },
            { ys: loss, color: COLORS.red, label: 'loss' },
          ],
          1,
        );
        $('status').textContent = `fine-tuning ${p.step}/${steps}, ${clock.text(p.step, steps)}`;
        $('ft-live').textContent =
          `step ${p.step}/${steps}: loss ${p.loss.toFixed(3)}, batch accuracy ${(100 * p.accuracy).toFixed(0)}%; ${clock.text(p.step, steps)}`;
        await nextFrame();
      },
    },
    init,
  );
  st.cls = r.classifier;
  if (stopping) $('ft-live').textContent += ` — stopped at step ${r.steps}`;
  const neg = st.data.test.filter((e) => / not | never /.test(e.text));
  const an = await r.classifier.accuracy(neg, st.data.s);
  results.finetuneAccuracy = r.accuracy;
  $('ft-summary').innerHTML =
    `Held-out accuracy <b>${(100 * r.accuracy).toFixed(1)}%</b> on ${st.data.test.length} reviews (${(100 * an).toFixed(1)}% on the ${neg.length} with a negation).`;
  st.clsFiles = bert.saveBertCheckpoint(await r.classifier.weights(), st.cfg!, st.data.tok.toVocabTxt(), {
    architecture: 'BertForSequenceClassification',
    padTokenId: st.data.s.pad,
    labels: ['negative', 'positive'],
  });
}

export async function classify(): Promise<void> {
  const text = $<HTMLInputElement>('cls-text').value;
  const [p] = await st.cls!.predict([st.data.tok.encode(text)], st.data.s);
  results.classify = p;
  $('cls-out').innerHTML =
    `<p>negative ${p![0]!.toFixed(3)} · positive ${p![1]!.toFixed(3)} → <b>${p![1]! > 0.5 ? 'positive' : 'negative'}</b></p>`;
}
