// The GPT on the GPU: one compiled training step (forward, backward, clipping, AdamW — see
// graph.ts for the choices), optionally LoRA (adapters trained, the rest frozen; merging), and
// graphs that share the trainer's weights (no copies): evaluation loss, and through
// inference.ts whole-sequence logits, a KV-cache decoding step and attention maps. Checkpoints
// are Hugging Face GPT-2 files (or PEFT adapter files) plus our optimizer state (hf.ts,
// adapter.ts).
import type { GpuContext } from '../../gpu/device';
import type { Profiler } from '../../gpu/profiler';
import type { Value } from '../../graph/graph';
import { Executor } from '../../graph/executor';
import type { MemoryReport } from '../../graph/memory';
import { Trainer } from '../../optim/trainer';
import { InputError } from '../../util/errors';
import { warmupCosine } from '../../optim/schedule';
import { buildCheckpoint, parseCheckpoint, type JsonObject, type TrainingProgress } from '../../io/checkpoint';
import { saveSafetensors } from '../../io/safetensors';
import { readGpt2Weights } from './folder';
import { gpt2Config, toHf, type Params } from './hf';
import { checkFits } from '../../gpu/limits';
import { buildGpt, checkGptConfig, gptParamCount, gptTensorSizes, type GptConfig } from './graph';
import type { LmBatch } from './data';
import { loraShapes, mergeLora, type LoraAdapter, type LoraConfig, type LoraShape } from '../../nn/lora';
import { gptAdapterFiles, readGptAdapter } from './adapter';
import { argmax } from './sampling';
import { GptInference, type GenerateOptions } from './inference';

export interface GptOptimOptions {
  batch: number;
  /** Peak learning rate (nanoGPT's shakespeare-char: 1e-3). */
  lr: number;
  /** Floor of the cosine decay (default lr/10, as nanoGPT). */
  minLr?: number;
  warmup: number;
  /** Steps of the cosine decay (nanoGPT's lr_decay_iters; usually the run length). */
  decaySteps: number;
  /** Decoupled weight decay on 2-D weights only (default 0.1). */
  weightDecay?: number;
  beta1?: number;
  /** nanoGPT: 0.95 (small batches). */
  beta2?: number;
  /** Global-norm clip (default 1.0). */
  clip?: number;
  seed: number;
  /** Tokens per training and evaluation window (default, and at most, the context length). */
  seqLen?: number;
}

/** The training window of `optim` on a model of `config`: seqLen, checked, or the context length. */
export function windowOf(config: GptConfig, optim: GptOptimOptions): number {
  const T = optim.seqLen ?? config.block;
  if (!Number.isInteger(T) || T < 1 || T > config.block)
    throw new InputError(
      `gpt: the training window ${T} must be a whole number in [1, ${config.block}] (the context length)`,
    );
  return T;
}

export class GptModel {
  private evalEx: Executor | null = null;
  private evalLossV: Value | null = null;
  private evalLogitsV: Value | null = null;

  /** Logits, sampling, KV-cache decoding and attention maps on the trainer's weights. */
  readonly inference: GptInference;
  private readonly adapterNames: Set<string>;
  /** The adapters' shapes (empty without LoRA), for PEFT's files and merging. */
  readonly adapters: LoraShape[];

  private constructor(
    readonly ctx: GpuContext,
    readonly config: GptConfig,
    readonly optim: GptOptimOptions,
    readonly trainer: Trainer,
    /** The model's parameters in the training graph (base weights and adapters; no optimizer state). */
    private readonly weights: Value[],
    /** LoRA: adapters on the targeted Linears, every other weight frozen (null: full training). */
    readonly lora: LoraConfig | null,
    private readonly loraAdapters: LoraAdapter[],
    /** adapter_config.json's base_model_name_or_path: the folder (or hub name) of the base model. */
    readonly baseModel: string | null,
  ) {
    this.adapters = loraShapes(loraAdapters);
    this.adapterNames = new Set(this.adapters.flatMap((a) => a.names));
    this.inference = new GptInference(ctx, config, this.build, trainer.executor);
  }

  static async create(
    ctx: GpuContext,
    config: GptConfig,
    optim: GptOptimOptions,
    o: { lora?: LoraConfig; baseModel?: string } = {},
  ): Promise<GptModel> {
    // too large for this adapter: say so (tensor, size, limit) before building anything
    checkGptConfig(config);
    const T = windowOf(config, optim);
    checkFits('gpt', gptTensorSizes(config, optim.batch, T), ctx.limits);
    const m = buildGpt(config, optim.batch, T, { seed: optim.seed, lora: o.lora });
    const weights = [...m.g.params.values()];
    const schedule = warmupCosine({
      lr: optim.lr,
      warmup: optim.warmup,
      total: optim.decaySteps,
      minLr: optim.minLr ?? optim.lr / 10,
    });
    const trainer = await Trainer.create(
      ctx,
      m.g,
      m.loss!,
      {
        kind: 'adamw',
        lr: schedule,
        beta1: optim.beta1 ?? 0.9,
        beta2: optim.beta2 ?? 0.95,
        eps: 1e-8,
        // LoRA runs default to no decay, as transformers' Trainer (weight_decay 0) does for PEFT
        weightDecay: optim.weightDecay ?? (o.lora ? 0 : 0.1),
        // nanoGPT: weight decay on every parameter of rank >= 2 (matmul weights and embeddings)
        decay: (p) => p.shape.length >= 2,
      },
      { clip: optim.clip ?? 1, config: { model: { ...config }, optim: { ...optim } as unknown as JsonObject } },
    );
    return new GptModel(ctx, config, optim, trainer, weights, o.lora ?? null, m.layers.lora, o.baseModel ?? null);
  }

  /** Tokens per training and evaluation window. */
  get window(): number {
    return windowOf(this.config, this.optim);
  }

  /** Parameters of the model (base and adapters). */
  get params(): number {
    return gptParamCount(this.config) + this.adapterParams;
  }

  /** GPU bytes of the training step by role, from its plan (weights, optimizer state, activations and gradients). */
  get memory(): MemoryReport {
    return this.trainer.executor.memory;
  }

  /** Parameters that train: all of them, or with LoRA only the adapters'. */
  get trainableParams(): number {
    return this.lora ? this.adapterParams : gptParamCount(this.config);
  }

  private get adapterParams(): number {
    return this.trainer.params.filter((p) => this.isAdapterParam(p.name)).reduce((s, p) => s + p.size, 0);
  }

  private isAdapterParam(name: string): boolean {
    return this.adapterNames.has(name);
  }

  /** Options of every graph built after the training graph: same seed and adapters. */
  private get build(): { seed: number; lora?: LoraConfig } {
    return this.lora ? { seed: this.optim.seed, lora: this.lora } : { seed: this.optim.seed };
  }

  get step(): number {
    return this.trainer.step;
  }

  /** One optimizer step; resolves with the loss when `read` (this waits for the GPU). */
  async trainStep(b: LmBatch, read = false): Promise<number | null> {
    const out = await this.trainer.run({ ids: b.ids, targets: b.targets }, read ? [this.trainer.loss] : []);
    return read ? out[0]![0]! : null;
  }

  /** Mean loss over batches of (optim.batch, block) windows, without dropout. */
  async evalLoss(batches: LmBatch[]): Promise<number> {
    return (await this.evaluate(batches, false)).loss;
  }

  /** Mean loss and (with `accuracy`) the top-1 next-token accuracy over the batches. */
  async evaluate(batches: LmBatch[], accuracy: boolean): Promise<{ loss: number; accuracy: number }> {
    if (!this.evalEx) {
      const m = buildGpt(this.config, this.optim.batch, this.window, { ...this.build, dropout: false });
      this.evalEx = await Executor.compile(this.ctx, m.g, {
        outputs: [m.loss!, m.logits],
        shareParams: this.trainer.executor,
        label: 'gpt.eval',
      });
      this.evalLossV = m.loss;
      this.evalLogitsV = m.logits;
    }
    const V = this.config.vocabSize;
    let s = 0;
    let right = 0;
    let n = 0;
    for (const b of batches) {
      this.evalEx.write('ids', b.ids);
      this.evalEx.write('targets', b.targets);
      const out = await this.evalEx.step({ read: accuracy ? [this.evalLossV!, this.evalLogitsV!] : [this.evalLossV!] });
      s += out[0]![0]!;
      if (!accuracy) continue;
      const logits = out[1] as Float32Array;
      for (let r = 0; r < b.targets.length; r++, n++)
        if (argmax(logits.subarray(r * V, r * V + V)) === b.targets[r]) right++;
    }
    return { loss: s / Math.max(1, batches.length), accuracy: n ? right / n : NaN };
  }

  /** Next-token logits of each sequence, recomputing it whole (GptInference.nextLogits). */
  nextLogits(seqs: number[][], profiler: Profiler | null = null): Promise<Float32Array[]> {
    return this.inference.nextLogits(seqs, profiler);
  }

  /** Feed one token at position p through the KV-cache step; its next-token logits. */
  decodeStep(id: number, p: number, profiler: Profiler | null = null): Promise<Float32Array> {
    return this.inference.decodeStep(id, p, profiler);
  }

  /** Prompt + new tokens. Sampling (seeded), greedy (temperature 0) or beam search. */
  generate(prompt: number[], o: GenerateOptions): Promise<number[]> {
    return this.inference.generate(prompt, o);
  }

  /** softmax(q·kᵀ/√d) (causal) of every head of `layer` over `ids` (≤ block): (H, T, T), rows sum to 1. */
  attentionMap(ids: number[], layer: number): Promise<{ heads: number; T: number; probs: Float32Array }> {
    return this.inference.attentionMap(ids, layer);
  }

  /**
   * Checkpoint files: model.safetensors (Hugging Face GPT-2 names and layouts), config.json
   * (GPT2Config fields, our run state under "shadergrad"), optimizer.safetensors (AdamW state
   * under our parameter names) and, when given, tokenizer.json. A LoRA model writes PEFT's
   * adapter files instead of the (frozen, unchanged) model, and its run state in shadergrad.json.
   */
  async save(
    progress: JsonObject = {},
    tokenizer?: object,
    ids: { bosId?: number; eosId?: number } = {},
  ): Promise<Record<string, Uint8Array>> {
    const ck = parseCheckpoint(await this.trainer.save(progress));
    const run = { model: { ...this.config }, run: ck.config, progress: ck.progress };
    const files = this.lora
      ? { ...(await this.adapterFiles()), 'shadergrad.json': jsonBytes({ ...run, lora: { ...this.lora } }) }
      : modelFiles(ck.params, this.config, ids, run);
    files['optimizer.safetensors'] = buildCheckpoint({
      params: ck.params,
      optimizer: ck.optimizer,
      config: {},
      progress: ck.progress,
    })['optimizer.safetensors'];
    if (tokenizer) files['tokenizer.json'] = new TextEncoder().encode(`${JSON.stringify(tokenizer)}\n`);
    return files;
  }

  /**
   * model.safetensors and config.json of the model's weights as they are now: after
   * mergeAdapters, the fine-tuned model as a plain GPT-2 folder.
   */
  async saveWeights(ids: { bosId?: number; eosId?: number } = {}): Promise<Record<string, Uint8Array>> {
    const params: Params = {};
    for (const p of this.weights)
      if (!this.isAdapterParam(p.name))
        params[p.name] = { shape: [...p.shape], data: (await this.trainer.executor.read(p)) as Float32Array };
    return modelFiles(params, this.config, ids, { model: { ...this.config } });
  }

  /**
   * Load files written by `save` (same config; for a LoRA model the adapter files, its base
   * weights loaded first). With optimizer.safetensors the optimizer state and step are restored
   * too (training continues exactly); without it only the weights.
   */
  load(files: Readonly<Record<string, Uint8Array>>): TrainingProgress {
    const lora = files['adapter_model.safetensors'] !== undefined;
    const state = lora
      ? files['shadergrad.json']
        ? jsonOf(files, 'shadergrad.json')
        : {}
      : readGptConfigFile(files)['shadergrad'];
    const progress: TrainingProgress = {
      ...((state as { progress?: TrainingProgress } | undefined)?.progress ?? { step: 0 }),
    };
    const params = lora
      ? readGptAdapter(files, this.adapters, this.needLora('load').r)
      : readGpt2Weights(files['model.safetensors']!, this.config);
    if (!files['optimizer.safetensors']) {
      if (lora) this.loadAdapter(files);
      else this.loadWeights(params);
      return { ...progress, step: this.trainer.step };
    }
    return this.trainer.restore(params, files['optimizer.safetensors'], progress);
  }

  /**
   * Write weights in our names (e.g. openGptFolder's `params`, from any GPT-2 folder); the
   * optimizer state is untouched. Every base weight must be there; adapter weights are written
   * when present (a base model's folder has none: the adapters keep their initial values).
   */
  loadWeights(params: Params): void {
    for (const p of this.weights) {
      const t = params[p.name];
      if (!t && this.isAdapterParam(p.name)) continue;
      if (!t) throw new Error(`gpt checkpoint: no parameter "${p.name}"`);
      if (t.data.length !== p.size)
        throw new Error(`gpt checkpoint: "${p.name}" has ${t.data.length} values, the model needs ${p.size}`);
      this.trainer.executor.write(p.name, t.data);
    }
  }

  /** The LoRA adapters as PEFT's files (adapter_config.json, adapter_model.safetensors). */
  async adapterFiles(baseModel = this.baseModel ?? undefined): Promise<Record<string, Uint8Array>> {
    const lora = this.needLora('adapterFiles');
    const params: Params = {};
    for (const p of this.weights)
      if (this.isAdapterParam(p.name))
        params[p.name] = { shape: [...p.shape], data: (await this.trainer.executor.read(p)) as Float32Array };
    return gptAdapterFiles(lora, this.adapters, params, baseModel);
  }

  /** Load an adapter's weights (PEFT's files, ours or PEFT's, same r and target modules). */
  loadAdapter(files: Readonly<Record<string, Uint8Array>>): void {
    const lora = this.needLora('loadAdapter');
    for (const [n, t] of Object.entries(readGptAdapter(files, this.adapters, lora.r)))
      this.trainer.executor.write(n, t.data);
  }

  /**
   * Fold every adapter into its base weights (W ← W + (α/r)·A·B) and zero its B: the model then
   * computes the same function with the adapters contributing nothing, and the base weights
   * (e.g. `save` of a full model) carry the fine-tuning.
   */
  async mergeAdapters(): Promise<void> {
    const lora = this.needLora('mergeAdapters');
    const ex = this.trainer.executor;
    for (const a of this.loraAdapters) {
      const A = (await ex.read(a.A)) as Float32Array;
      for (const [j, lin] of a.spec.linears.entries()) {
        const B = (await ex.read(a.B[j]!)) as Float32Array;
        ex.write(lin.weight.name, mergeLora((await ex.read(lin.weight)) as Float32Array, A, B, lora.r, a.scale));
        ex.write(a.B[j]!.name, new Float32Array(B.length));
      }
    }
  }

  private needLora(what: string): LoraConfig {
    if (!this.lora) throw new Error(`gpt.${what}: this model has no LoRA adapters (create it with { lora })`);
    return this.lora;
  }

  destroy(): void {
    this.evalEx?.destroy();
    this.inference.destroy();
    this.trainer.destroy();
  }
}

/** config.json of a checkpoint as an object. */
export function readGptConfigFile(files: Readonly<Record<string, Uint8Array>>): Record<string, unknown> {
  const bytes = files['config.json'];
  if (!bytes) throw new Error('gpt checkpoint: missing config.json');
  return JSON.parse(new TextDecoder().decode(bytes)) as Record<string, unknown>;
}

function jsonBytes(j: object): Uint8Array {
  return new TextEncoder().encode(`${JSON.stringify(j, null, 2)}\n`);
}

function jsonOf(files: Readonly<Record<string, Uint8Array>>, name: string): Record<string, unknown> {
  return JSON.parse(new TextDecoder().decode(files[name])) as Record<string, unknown>;
}

/** model.safetensors (GPT-2's names and layouts) and config.json (GPT2Config, `run` under "shadergrad"). */
function modelFiles(
  params: Params,
  c: GptConfig,
  ids: { bosId?: number; eosId?: number },
  run: JsonObject,
): Record<string, Uint8Array> {
  const tensors: Record<string, { dtype: 'F32'; shape: readonly number[]; data: Float32Array }> = {};
  for (const [n, t] of Object.entries(toHf(params, c))) tensors[n] = { dtype: 'F32', shape: t.shape, data: t.data };
  return {
    'model.safetensors': saveSafetensors(tensors, { format: 'pt' }),
    'config.json': jsonBytes(gpt2Config(c, { ...ids, extra: { shadergrad: run } })),
  };
}
