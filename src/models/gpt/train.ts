// Training a GPT on a text, the loop the CLI job and the demo share: tokenize (char or byte-level
// BPE, trained on the text), split 90/10, random contiguous windows per step from a seeded
// generator, periodic validation loss / perplexity on fixed validation windows, samples every so
// often, and checkpoints that resume exactly (weights, AdamW state, step and the batch
// generator's counter are saved).
import type { GpuContext } from '../../gpu/device';
import type { JsonObject } from '../../io/checkpoint';
import { Rng } from '../../util/prng';
import { CharTokenizer } from '../../text/char';
import { BpeTokenizer } from '../../text/bpe';
import { checkEncodable, tokenizerFromJSON, type Tokenizer } from '../../text/tokenizer';
import { checkGptConfig, type GptConfig } from './graph';
import { GptModel, type GptOptimOptions } from './model';
import { openGptFolder, type GptFolder } from './folder';
import {
  checkLmSplit,
  defaultPrompt,
  evalWindows,
  ngramBaseline,
  randomBatch,
  splitTokens,
  unigramBaseline,
} from './data';
import { GPT_TRAIN_DEFAULTS } from './defaults';
import type { EvalHooks, TrainHooks } from '../hooks';
import type { LoraConfig } from '../../nn/lora';
import { readAdapterConfig } from './adapter';
import { InputError } from '../../util/errors';

/** What onProgress gets after every step (`loss` only on the steps whose loss is read). */
export interface GptProgress {
  step: number;
  total: number;
  loss: number | null;
  tokensPerSec: number;
}

/** What onEval gets after each validation (every evalEvery steps, the last and a stopped step). */
export interface GptEval {
  step: number;
  trainLoss: number;
  valLoss: number;
  valPpl: number;
}

export interface GptRunOptions extends TrainHooks<GptProgress>, EvalHooks<GptEval> {
  text: string;
  tokenizer: 'char' | 'bpe';
  /** BPE vocabulary size (256 bytes + merges). */
  vocab?: number;
  layers: number;
  heads: number;
  embd: number;
  block: number;
  batch: number;
  steps: number;
  lr: number;
  dropout: number;
  bias?: boolean;
  seed: number;
  /** Warmup steps (default min(100, steps/10)). */
  warmup?: number;
  /** Validate every this many steps (default max(1, steps/10)) on evalIters windows (default GPT_TRAIN_DEFAULTS.evalIters). */
  evalEvery?: number;
  evalIters?: number;
  /** Sample every this many steps (default 0: only at the end). */
  sampleEvery?: number;
  sampleTokens?: number;
  prompt?: string;
  /** Files written by GptModel.save (with tokenizer.json) to continue from (a LoRA run's: with `init`). */
  resume?: Readonly<Record<string, Uint8Array>>;
  /**
   * A GPT folder's files (ours or Hugging Face's GPT-2) to start from: its config, weights and
   * tokenizer (layers, heads, embd, block, tokenizer and vocab are then the folder's).
   */
  init?: Readonly<Record<string, Uint8Array>>;
  /** Fine-tune `init` with LoRA adapters, every base weight frozen (a resumed LoRA run takes its own config). */
  lora?: LoraConfig;
  /** Where the base model lives, for adapter_config.json's base_model_name_or_path. */
  baseModel?: string;
  onSample?: (s: { step: number; text: string }) => void;
  /**
   * Every this many steps (0 or unset: never; never at the last step, whose files the caller
   * saves), the run's files (saveRun: weights, AdamW state, step, batch position, tokenizer) go
   * to onCheckpoint, awaited, so a run that fails later leaves one to --resume from exactly.
   */
  checkpointEvery?: number;
  onCheckpoint?: (c: { step: number; files: Record<string, Uint8Array> }) => Promise<void> | void;
}

export interface GptRunResult {
  model: GptModel;
  tokenizer: Tokenizer;
  metrics: JsonObject & {
    train_loss: number;
    val_loss: number;
    val_ppl: number;
    val_accuracy: number;
    sample: string;
    /** With `init`: the base model's sample from the same prompt and seed, before any step. */
    sample_before?: string;
  };
  /** (step, train loss) every 10 steps and (step, val loss) at every evaluation. */
  history: { train: [number, number][]; val: [number, number][] };
  /** The batch generator's position (saved with checkpoints so a resumed run draws the same batches). */
  dataCounter: number;
}

/** The tokenizer a run uses: restored from a checkpoint, else trained on the text. */
export function makeTokenizer(o: Pick<GptRunOptions, 'text' | 'tokenizer' | 'vocab' | 'resume'>): Tokenizer {
  const saved = o.resume?.['tokenizer.json'];
  if (saved) return tokenizerFromJSON(JSON.parse(new TextDecoder().decode(saved)));
  if (o.tokenizer === 'bpe') return BpeTokenizer.train(o.text, { vocabSize: o.vocab ?? GPT_TRAIN_DEFAULTS.vocab });
  return CharTokenizer.train(o.text);
}

/** What a run starts from: a saved run, a base folder (init), or nothing; and its LoRA config. */
function startOf(o: GptRunOptions): { saved: GptFolder | null; base: GptFolder | null; lora?: LoraConfig } {
  const loraResume = o.resume?.['adapter_config.json'] !== undefined;
  if (loraResume && !o.init)
    throw new InputError('gpt: the run to resume is a LoRA adapter: give its base model folder too (--init DIR)');
  if (o.lora && !o.init) throw new InputError('gpt: LoRA fine-tunes a trained model: give its folder (--init DIR)');
  return {
    saved: o.resume && !loraResume ? openGptFolder(o.resume) : null,
    base: o.init ? openGptFolder(o.init) : null,
    lora: loraResume ? readAdapterConfig(o.resume!) : o.lora,
  };
}

export async function trainGpt(ctx: GpuContext, o: GptRunOptions): Promise<GptRunResult> {
  // every input is checked before the model is built: the folders, the text, the prompt
  const { saved, base, lora } = startOf(o);
  const folder = saved ?? base;
  const tokenizer = folder?.tokenizer ?? makeTokenizer(o);
  if (folder)
    checkEncodable(tokenizer, o.text, `the corpus (with the ${saved ? "checkpoint's" : "base model's"} tokenizer)`);
  if (o.prompt !== undefined) checkEncodable(tokenizer, o.prompt, '--prompt');
  const ids = tokenizer.encode(o.text);
  const { train, val } = splitTokens(ids);
  const config: GptConfig = folder
    ? { ...folder.config, dropout: o.dropout }
    : {
        vocabSize: tokenizer.vocabSize,
        block: o.block,
        layers: o.layers,
        heads: o.heads,
        embd: o.embd,
        dropout: o.dropout,
        bias: o.bias ?? true,
      };
  checkGptConfig(config);
  // fine-tuning a trained model: --block is the training window, at most its context length
  const seqLen = base && !saved ? Math.min(o.block, config.block) : config.block;
  checkLmSplit(ids.length, seqLen);
  const optim: GptOptimOptions = {
    batch: o.batch,
    lr: o.lr,
    warmup: o.warmup ?? Math.min(100, Math.floor(o.steps / 10)),
    decaySteps: o.steps,
    seed: o.seed,
    ...(seqLen < config.block ? { seqLen } : {}),
  };
  const model = await GptModel.create(ctx, config, optim, lora ? { lora, baseModel: o.baseModel } : {});
  let dataRng = new Rng(o.seed, 0xda7a);
  if (base && !saved) model.loadWeights(base.params);
  if (o.resume) {
    const prog = model.load(o.resume);
    if (typeof prog['dataCounter'] === 'number')
      dataRng = Object.assign(new Rng(o.seed, 0xda7a), { counter: prog['dataCounter'] });
  }
  try {
    return await loop(model, tokenizer, config, train, val, dataRng, o);
  } catch (e) {
    model.destroy();
    throw e;
  }
}

async function loop(
  model: GptModel,
  tokenizer: Tokenizer,
  config: GptConfig,
  train: Int32Array,
  val: Int32Array,
  dataRng: Rng,
  o: GptRunOptions,
): Promise<GptRunResult> {
  const B = o.batch;
  const T = model.window;
  const evalEvery = o.evalEvery ?? Math.max(1, Math.floor(o.steps / 10));
  const vb = evalWindows(val, B, T, o.evalIters ?? GPT_TRAIN_DEFAULTS.evalIters);
  const history: GptRunResult['history'] = { train: [], val: [] };
  const prompt = o.prompt ?? defaultPrompt(tokenizer, val, Math.min(12, T - 1));
  const sample = async (): Promise<string> => {
    const p = tokenizer.encode(prompt);
    const seq = await model.generate(p.length ? p : [0], {
      tokens: o.sampleTokens ?? GPT_TRAIN_DEFAULTS.sampleTokens,
      temperature: 0.8,
      topK: 0,
      seed: o.seed,
    });
    return tokenizer.decode(seq);
  };
  let trainLoss = NaN;
  let valLoss = NaN;
  let trainTime = 0;
  let trained = 0;
  let t0 = performance.now();
  let last = model.step;
  const start = model.step;
  // a fine-tuning run shows what the base model said to the same prompt, before the first step
  const before = o.init && start === 0 ? await sample() : undefined;
  while (model.step < o.steps) {
    const step = model.step + 1;
    const regular = step % 10 === 0 || step === o.steps || step % evalEvery === 0;
    // the first step of a run is read too, for onProgress only (a live chart has a point from the
    // start); `history` keeps its every-10-steps spacing (metrics.json's loss curve)
    const read = regular || step === start + 1;
    const loss = await model.trainStep(randomBatch(train, B, T, dataRng), read);
    if (loss !== null) {
      trainLoss = loss;
      if (regular) history.train.push([step, loss]);
      // loss reads wait for the GPU, so the clock between them measures the steps in between
      const now = performance.now();
      trainTime += now - t0;
      trained += step - last;
      last = step;
      t0 = now;
    }
    const tps = trainTime > 0 ? (trained * B * T) / (trainTime / 1000) : 0;
    await o.onProgress?.({ step, total: o.steps, loss, tokensPerSec: tps });
    const stop = o.shouldStop?.() ?? false;
    if (step % evalEvery === 0 || step === o.steps || stop) {
      valLoss = await model.evalLoss(vb);
      history.val.push([step, valLoss]);
      await o.onEval?.({ step, trainLoss, valLoss, valPpl: Math.exp(valLoss) });
    }
    if (o.sampleEvery && step % o.sampleEvery === 0 && step < o.steps) o.onSample?.({ step, text: await sample() });
    if (o.checkpointEvery && o.onCheckpoint && step % o.checkpointEvery === 0 && step < o.steps) {
      await o.onCheckpoint({ step, files: await saveRun({ model, tokenizer, dataCounter: dataRng.counter }) });
    }
    t0 = performance.now();
    if (stop) break;
  }
  const final = await model.evaluate(vb, true);
  valLoss = final.loss;
  const text = await sample();
  o.onSample?.({ step: model.step, text });
  const steps = model.step - start;
  const metrics = {
    params: model.params,
    trainable_params: model.trainableParams,
    // the training step's plan, in bytes: what the GPU holds for it
    memory: { ...model.memory },
    ...(model.lora ? { lora: { ...model.lora, targets: [...model.lora.targets] } } : {}),
    steps: model.step,
    train_loss: trainLoss,
    val_loss: valLoss,
    val_ppl: Math.exp(valLoss),
    val_accuracy: final.accuracy,
    unigram_baseline: unigramBaseline(train, val, tokenizer.vocabSize),
    baseline_ngram: { ...ngramBaseline(train, val, tokenizer.vocabSize) },
    tokens_per_sec: trainTime > 0 ? (trained * B * T) / (trainTime / 1000) : 0,
    ms_per_step: trained > 0 ? trainTime / trained : 0,
    train_tokens: train.length,
    val_tokens: val.length,
    steps_this_run: steps,
    tokenizer: tokenizer.kind,
    config: { ...config },
    optim: { ...model.optim } as unknown as JsonObject,
    prompt,
    sample: text,
    ...(before !== undefined ? { sample_before: before } : {}),
  };
  return { model, tokenizer, metrics, history, dataCounter: dataRng.counter };
}

/** Save a run: the model's files plus tokenizer.json; the batch generator's counter goes in progress. */
export function saveRun(
  r: Pick<GptRunResult, 'model' | 'tokenizer' | 'dataCounter'>,
): Promise<Record<string, Uint8Array>> {
  return r.model.save({ dataCounter: r.dataCounter }, r.tokenizer.toJSON());
}

/**
 * A LoRA run's adapters folded into the base weights (GptModel.mergeAdapters), as a plain GPT
 * folder: model.safetensors, config.json and tokenizer.json, which `npm run generate` and
 * transformers' GPT2LMHeadModel open without PEFT. The model keeps computing the same function.
 */
export async function saveMerged(r: Pick<GptRunResult, 'model' | 'tokenizer'>): Promise<Record<string, Uint8Array>> {
  await r.model.mergeAdapters();
  return {
    ...(await r.model.saveWeights()),
    'tokenizer.json': new TextEncoder().encode(`${JSON.stringify(r.tokenizer.toJSON())}\n`),
  };
}
