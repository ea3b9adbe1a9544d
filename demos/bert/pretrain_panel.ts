// The BERT page's pretraining panel: builds the model from the form, runs the library's
// pretraining loop (bert.BertPretraining; Stop pauses it, Resume continues it) and draws its MLM /
// NSP loss and accuracy curves live, then the held-out metrics and the checkpoint to download.
import { bert } from '../../src/index';
import { COLORS, nextFrame } from '../common/plot';
import { curvePlot } from './view';
import { fillAttentionSelects } from './use_panel';
import { $, D, dropModels, num, params, results, st, stopping, trainingStarted } from './page';

/** The pretraining curves, kept across Resume: per step MLM and NSP loss; at read steps (`ax`) the batch accuracies. */
let curves = {
  xs: [] as number[],
  mlm: [] as number[],
  nsp: [] as number[],
  ax: [] as number[],
  macc: [] as number[],
  nacc: [] as number[],
};

export async function pretrain(): Promise<void> {
  dropModels();
  const steps = Number(params.get('steps') ?? num('steps'));
  const block = num('block');
  const cfg = bert.bertConfig({
    vocabSize: st.data.tok.vocabSize,
    hidden: num('embd'),
    layers: num('layers'),
    heads: num('heads'),
    maxPosition: block,
    dropout: D.dropout,
  });
  st.cfg = cfg;
  $('status').textContent = 'compiling the pretraining graph…';
  $('pre-live').textContent = 'compiling; the first loss appears after the first step';
  // task-adaptive pretraining, as the CLI by default: the reviews' training texts join the documents
  const docs = {
    train: bert.pretrainDocuments(st.data, $<HTMLInputElement>('task-text').checked),
    heldOut: st.data.evalDocs,
    baseline: st.data.trainDocs,
  };
  st.run = await bert.BertPretraining.create(st.ctx, cfg, docs, st.data.s, {
    batch: num('batch'),
    block,
    lr: num('lr'),
    steps,
    seed: D.seed,
  });
  curves = { xs: [], mlm: [], nsp: [], ax: [], macc: [], nacc: [] };
  await pretrainSteps();
}

/** Continue a stopped pretraining run up to its step count (the model it left is kept meanwhile). */
export async function resumePretrain(): Promise<void> {
  st.inf?.destroy();
  st.cls?.destroy();
  st.inf = st.cls = undefined;
  await pretrainSteps();
}

/** The library's pretraining loop from where the run is to its end or Stop (then its held-out evaluation), drawn live. */
async function pretrainSteps(): Promise<void> {
  const run = st.run!;
  const c = curves;
  const steps = run.o.steps;
  const first = run.step; // steps done before this call: the estimate counts this call's own
  const clock = trainingStarted('pre-stop');
  const ev = await run.train({
    readEvery: 10,
    shouldStop: () => stopping,
    onProgress: async (p) => {
      c.xs.push(p.step);
      c.mlm.push(p.mlmLoss);
      c.nsp.push(p.nspLoss);
      if (p.mlmAccuracy === undefined) return;
      c.ax.push(p.step);
      c.macc.push(p.mlmAccuracy);
      c.nacc.push(p.nspAccuracy!);
      curvePlot('loss-plot', 'loss', c.xs, [
        { ys: c.mlm, color: COLORS.blue, label: 'MLM' },
        { ys: c.nsp, color: COLORS.orange, label: 'NSP' },
      ]);
      curvePlot(
        'acc-plot',
        'accuracy (this batch)',
        c.ax,
        [
          { ys: c.macc, color: COLORS.blue, label: 'masked tokens' },
          { ys: c.nacc, color: COLORS.orange, label: 'next sentence' },
        ],
        1,
      );
      const timing = clock.text(p.step - first, steps - first);
      $('status').textContent = `pretraining ${p.step}/${steps}, ${timing}`;
      $('pre-live').textContent =
        `step ${p.step}/${steps}: MLM loss ${p.mlmLoss.toFixed(3)}, NSP loss ${p.nspLoss.toFixed(3)}, masked-token accuracy ${(100 * p.mlmAccuracy).toFixed(0)}%, ${p.tokensPerSec.toFixed(0)} tokens/s; ${timing}`;
      await nextFrame();
    },
  });
  if (stopping) $('pre-live').textContent += ` — stopped at step ${run.step} (Resume continues)`;
  Object.assign(results, { mlmAccuracy: ev.mlmAccuracy, unigram: ev.unigram, nspAccuracy: ev.nspAccuracy });
  $('pretrain-summary').innerHTML =
    `Held-out documents: MLM loss ${ev.mlmLoss.toFixed(3)}, masked-token accuracy <b>${(100 * ev.mlmAccuracy).toFixed(1)}%</b> ` +
    `(unigram baseline ${(100 * ev.unigram).toFixed(1)}%), NSP accuracy ${(100 * ev.nspAccuracy).toFixed(1)}% over ${ev.masked} masked tokens; ${run.pre.params.toLocaleString()} parameters, ${run.step} steps.`;
  st.inf = await bert.BertInference.create(st.ctx, run.pre.cfg, run.o.block, st.data.tok, run.pre.trainer.executor);
  st.hasMlm = true;
  st.preFiles = bert.saveBertCheckpoint(await run.pre.weights(), run.pre.cfg, st.data.tok.toVocabTxt(), {
    architecture: 'BertForPreTraining',
    padTokenId: st.data.s.pad,
  });
  fillAttentionSelects(run.pre.cfg);
}
