// Training a recurrent LM on a text, the loop the CLI jobs share: the GPT's tokenizers and data
// (char or byte-level BPE trained on the text, 90/10 split, random windows of block tokens from a
// seeded generator, fixed validation windows), truncated BPTT over each window from the zero
// state (graph.ts), periodic validation loss, a sample at the end (the state carried across the
// prompt and every new token), and the gradient lesson (gradnorm.ts) measured on a validation
// window with the initial and the trained weights.
import type { GpuContext } from '../../gpu/device';
import type { JsonObject } from '../../io/checkpoint';
import { Rng } from '../../util/prng';
import type { Tokenizer } from '../../text/tokenizer';
import { makeTokenizer } from '../gpt/train';
import {
  checkLmSplit,
  defaultPrompt,
  evalWindows,
  ngramBaseline,
  randomBatch,
  splitTokens,
  unigramBaseline,
  type LmBatch,
} from '../gpt/data';
import type { EvalHooks, TrainHooks } from '../hooks';
import { checkRnnConfig, type RnnCell, type RnnConfig } from './graph';
import { RnnModel, type RnnOptimOptions } from './model';
import { gradNormCurve, type GradNormCurve } from './gradnorm';
import { RNN_TRAIN_DEFAULTS as D } from './defaults';

/** What onProgress gets after every step (`loss` only on the steps whose loss is read). */
export interface RnnProgress {
  step: number;
  total: number;
  loss: number | null;
  tokensPerSec: number;
}

/** What onEval gets after each validation (every evalEvery steps, the last and a stopped step). */
export interface RnnEval {
  step: number;
  trainLoss: number;
  valLoss: number;
  valPpl: number;
}

export interface RnnRunOptions extends TrainHooks<RnnProgress>, EvalHooks<RnnEval> {
  cell: RnnCell;
  text: string;
  tokenizer: 'char' | 'bpe';
  /** BPE vocabulary size (256 bytes + merges). */
  vocab?: number;
  hidden: number;
  layers: number;
  block: number;
  batch: number;
  steps: number;
  lr: number;
  seed: number;
  /** Warmup steps (default min(50, steps/10)). */
  warmup?: number;
  /** Validate every this many steps (default max(1, steps/10)) on evalIters batches. */
  evalEvery?: number;
  evalIters?: number;
  sampleTokens?: number;
  prompt?: string;
  /** Window of the gradient lesson (default RNN_TRAIN_DEFAULTS.gradNormWindow; 0: skip it). */
  gradNormWindow?: number;
}

export interface RnnRunResult {
  model: RnnModel;
  tokenizer: Tokenizer;
  metrics: JsonObject & {
    train_loss: number;
    val_loss: number;
    val_ppl: number;
    val_accuracy: number;
    sample: string;
  };
  /** (step, train loss) every 10 steps and (step, val loss) at every evaluation. */
  history: { train: [number, number][]; val: [number, number][] };
}

export async function trainRnn(ctx: GpuContext, o: RnnRunOptions): Promise<RnnRunResult> {
  const tokenizer = makeTokenizer(o);
  const ids = tokenizer.encode(o.text);
  const { train, val } = splitTokens(ids);
  const config: RnnConfig = {
    cell: o.cell,
    vocabSize: tokenizer.vocabSize,
    hidden: o.hidden,
    layers: o.layers,
    block: o.block,
  };
  checkRnnConfig(config);
  checkLmSplit(ids.length, config.block);
  const optim: RnnOptimOptions = {
    batch: o.batch,
    lr: o.lr,
    warmup: o.warmup ?? Math.min(50, Math.floor(o.steps / 10)),
    decaySteps: o.steps,
    clip: D.clip,
    seed: o.seed,
  };
  const model = await RnnModel.create(ctx, config, optim);
  try {
    return await loop(model, tokenizer, train, val, o);
  } catch (e) {
    model.destroy();
    throw e;
  }
}

async function loop(
  model: RnnModel,
  tokenizer: Tokenizer,
  train: Int32Array,
  val: Int32Array,
  o: RnnRunOptions,
): Promise<RnnRunResult> {
  const t0 = performance.now();
  const vb = evalWindows(val, o.batch, model.config.block, o.evalIters ?? D.evalIters);
  const history: RnnRunResult['history'] = { train: [], val: [] };
  const { trainLoss, trainMs } = await trainSteps(model, train, vb, history, o);
  const final = await model.evaluate(vb, true);
  const prompt = o.prompt ?? defaultPrompt(tokenizer, val, 12);
  const p = tokenizer.encode(prompt);
  const seq = await model.generate(p.length ? p : [0], {
    tokens: o.sampleTokens ?? D.sampleTokens,
    temperature: 0.8,
    seed: o.seed,
  });
  const tokens = model.step * o.batch * model.config.block;
  const metrics = {
    cell: model.config.cell,
    params: model.params,
    steps: model.step,
    train_loss: trainLoss,
    val_loss: final.loss,
    val_ppl: Math.exp(final.loss),
    val_accuracy: final.accuracy,
    unigram_baseline: unigramBaseline(train, val, tokenizer.vocabSize),
    baseline_ngram: { ...ngramBaseline(train, val, tokenizer.vocabSize) },
    tokens_per_sec: trainMs > 0 ? tokens / (trainMs / 1000) : 0,
    ms_per_step: model.step > 0 ? trainMs / model.step : 0,
    train_seconds: (performance.now() - t0) / 1000,
    tokenizer: tokenizer.kind,
    config: { ...model.config },
    optim: { ...model.optim } as unknown as JsonObject,
    ...(await gradLesson(model, val, o.gradNormWindow ?? D.gradNormWindow)),
    prompt,
    sample: tokenizer.decode(seq),
  };
  return { model, tokenizer, metrics, history };
}

/** The steps with their hooks and periodic validation; the last train loss read and the time in steps. */
async function trainSteps(
  model: RnnModel,
  train: Int32Array,
  vb: LmBatch[],
  history: RnnRunResult['history'],
  o: RnnRunOptions,
): Promise<{ trainLoss: number; trainMs: number }> {
  const B = o.batch;
  const T = model.config.block;
  const evalEvery = o.evalEvery ?? Math.max(1, Math.floor(o.steps / 10));
  const dataRng = new Rng(o.seed, 0xda7a);
  let trainLoss = NaN;
  let trainMs = 0;
  while (model.step < o.steps) {
    const step = model.step + 1;
    const ts = performance.now();
    const regular = step % 10 === 0 || step === o.steps || step % evalEvery === 0;
    // a read waits for the GPU, so the time summed over the steps is the time they took
    const loss = await model.trainStep(randomBatch(train, B, T, dataRng), regular || step === 1);
    if (loss !== null) trainLoss = loss;
    if (loss !== null && regular) history.train.push([step, loss]);
    trainMs += performance.now() - ts;
    await o.onProgress?.({ step, total: o.steps, loss, tokensPerSec: (step * B * T) / (trainMs / 1000) });
    const stop = o.shouldStop?.() ?? false;
    if (step % evalEvery === 0 || step === o.steps || stop) {
      const valLoss = await model.evalLoss(vb);
      history.val.push([step, valLoss]);
      await o.onEval?.({ step, trainLoss, valLoss, valPpl: Math.exp(valLoss) });
    }
    if (stop) break;
  }
  return { trainLoss, trainMs };
}

/** The gradient lesson on the first validation window: ‖∂L_T/∂h_{T−k}‖ at init and after training. */
async function gradLesson(model: RnnModel, val: Int32Array, T: number): Promise<JsonObject> {
  if (T < 2 || val.length < T + 1) return {};
  const tokens = val.subarray(0, T + 1);
  const curve = (params?: Record<string, Float32Array>): GradNormCurve =>
    gradNormCurve({ config: model.config, T, seed: model.optim.seed, tokens, params });
  const pick = (c: GradNormCurve): JsonObject => ({ norm: c.norm, ratio: c.ratio, per_step: c.perStep });
  return { grad_norm_init: pick(curve()), grad_norm_trained: pick(curve(await model.weights())) };
}

/** Save a run: the model's files plus tokenizer.json. */
export function saveRnnRun(r: Pick<RnnRunResult, 'model' | 'tokenizer'>): Promise<Record<string, Uint8Array>> {
  return r.model.save({}, r.tokenizer.toJSON());
}
