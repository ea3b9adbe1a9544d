// The GPT on the GPU: one compiled training step (forward, backward, clipping, AdamW — see
// graph.ts for the choices), and inference graphs that share the trainer's weights (no copies):
// evaluation loss, whole-sequence logits for sampling and beam search, a KV-cache decoding step,
// and attention maps. Checkpoints are Hugging Face GPT-2 files plus our optimizer state
// (hf.ts).
import type { GpuContext } from '../../gpu/device';
import type { Profiler } from '../../gpu/profiler';
import type { Value } from '../../graph/graph';
import { Executor } from '../../graph/executor';
import { Trainer } from '../../optim/trainer';
import { warmupCosine } from '../../optim/schedule';
import { buildCheckpoint, parseCheckpoint, type JsonObject, type TrainingProgress } from '../../io/checkpoint';
import { saveSafetensors } from '../../io/safetensors';
import { readGpt2Weights } from './folder';
import { gpt2Config, toHf, type Params } from './hf';
import { Rng } from '../../util/prng';
import { checkFits } from '../../gpu/limits';
import {
  buildGpt,
  buildGptAttentionMap,
  buildGptDecode,
  checkGptConfig,
  gptParamCount,
  gptTensorSizes,
  type GptConfig,
} from './graph';
import type { LmBatch } from './data';
import { argmax, beamSearch, sampleNext, type SampleOptions } from './sampling';

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
}

export interface GenerateOptions extends SampleOptions {
  /** New tokens at most. */
  tokens: number;
  /** Beam width (≥ 1: beam search, which ignores temperature / top-k / top-p; 0 or absent: sampling). */
  beam?: number;
  /** Use the KV cache (default true; beam search always recomputes). */
  kvCache?: boolean;
  /** Stop once this returns true for the sequence so far (prompt included). */
  stop?: (ids: number[]) => boolean;
  /** Seed of the sampler (default 1). */
  seed?: number;
  /** Called with each new token. */
  onToken?: (id: number) => void;
}

export class GptModel {
  private evalEx: Executor | null = null;
  private evalLossV: Value | null = null;
  private evalLogitsV: Value | null = null;
  private logitsEx = new Map<number, { ex: Executor; logits: Value }>();
  private decodeEx: { ex: Executor; logits: Value } | null = null;

  private constructor(
    readonly ctx: GpuContext,
    readonly config: GptConfig,
    readonly optim: GptOptimOptions,
    readonly trainer: Trainer,
  ) {}

  static async create(ctx: GpuContext, config: GptConfig, optim: GptOptimOptions): Promise<GptModel> {
    // too large for this adapter: say so (tensor, size, limit) before building anything
    checkGptConfig(config);
    checkFits('gpt', gptTensorSizes(config, optim.batch), ctx.limits);
    const m = buildGpt(config, optim.batch, config.block, { seed: optim.seed });
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
        weightDecay: optim.weightDecay ?? 0.1,
        // nanoGPT: weight decay on every parameter of rank >= 2 (matmul weights and embeddings)
        decay: (p) => p.shape.length >= 2,
      },
      { clip: optim.clip ?? 1, config: { model: { ...config }, optim: { ...optim } as unknown as JsonObject } },
    );
    return new GptModel(ctx, config, optim, trainer);
  }

  get params(): number {
    return gptParamCount(this.config);
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
      const m = buildGpt(this.config, this.optim.batch, this.config.block, { seed: this.optim.seed, dropout: false });
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

  /**
   * Next-token logits of each sequence (all the same length), recomputing the whole (last
   * `block` tokens of the) sequence: a (B, block) graph, padded at the end; causal attention keeps
   * the padding out of the rows read.
   */
  async nextLogits(seqs: number[][], profiler: Profiler | null = null): Promise<Float32Array[]> {
    const B = seqs.length;
    const T = this.config.block;
    const V = this.config.vocabSize;
    let e = this.logitsEx.get(B);
    if (!e) {
      const m = buildGpt(this.config, B, T, { seed: this.optim.seed, loss: false, dropout: false });
      e = {
        ex: await Executor.compile(this.ctx, m.g, {
          outputs: [m.logits],
          shareParams: this.trainer.executor,
          label: 'gpt.logits',
        }),
        logits: m.logits,
      };
      this.logitsEx.set(B, e);
    }
    const ids = new Int32Array(B * T);
    const last: number[] = [];
    seqs.forEach((s, b) => {
      const w = s.slice(-T);
      ids.set(w, b * T);
      last.push(w.length - 1);
    });
    e.ex.write('ids', ids);
    const [logits] = await e.ex.step({ read: [e.logits], profiler });
    return last.map((t, b) => (logits as Float32Array).slice((b * T + t) * V, (b * T + t + 1) * V));
  }

  /** Feed one token at position p through the KV-cache step; its next-token logits. */
  async decodeStep(id: number, p: number, profiler: Profiler | null = null): Promise<Float32Array> {
    if (!this.decodeEx) {
      const m = buildGptDecode(this.config, 1, { seed: this.optim.seed });
      this.decodeEx = {
        ex: await Executor.compile(this.ctx, m.g, {
          outputs: [m.logits],
          shareParams: this.trainer.executor,
          label: 'gpt.decode',
        }),
        logits: m.logits,
      };
    }
    const ex = this.decodeEx.ex;
    ex.write('ids', Int32Array.of(id));
    ex.write('positions', Int32Array.of(p));
    ex.write('cache_pos', Int32Array.of(p));
    ex.write('kv_len', Int32Array.of(p + 1));
    return (await ex.step({ read: [this.decodeEx.logits], profiler }))[0] as Float32Array;
  }

  /** Prompt + new tokens. Sampling (seeded), greedy (temperature 0) or beam search. */
  async generate(prompt: number[], o: GenerateOptions): Promise<number[]> {
    if (!prompt.length) throw new Error('gpt.generate: the prompt needs at least one token');
    if ((o.beam ?? 0) >= 1) {
      const r = await beamSearch((seqs) => this.nextLogits(seqs), prompt, {
        width: o.beam!,
        tokens: o.tokens,
        stop: o.stop,
      });
      r.seq.slice(prompt.length).forEach((t) => o.onToken?.(t));
      return r.seq;
    }
    const rng = new Rng(o.seed ?? 1, 7);
    const seq = prompt.slice();
    const T = this.config.block;
    const useCache = (o.kvCache ?? true) && prompt.length < T;
    let logits: Float32Array | null = null;
    if (useCache) for (let p = 0; p < seq.length; p++) logits = await this.decodeStep(seq[p]!, p);
    for (let i = 0; i < o.tokens; i++) {
      // past the context length the cache would need shifting positions: recompute instead (as nanoGPT crops)
      if (!useCache || seq.length > T) logits = (await this.nextLogits([seq]))[0]!;
      const t = sampleNext(logits!, rng, o);
      seq.push(t);
      o.onToken?.(t);
      if (o.stop?.(seq)) break;
      if (useCache && seq.length <= T && i + 1 < o.tokens) logits = await this.decodeStep(t, seq.length - 1);
    }
    return seq;
  }

  /** softmax(q·kᵀ/√d) (causal) of every head of `layer` over `ids` (≤ block): (H, T, T), rows sum to 1. */
  async attentionMap(ids: number[], layer: number): Promise<{ heads: number; T: number; probs: Float32Array }> {
    const T = Math.min(ids.length, this.config.block);
    const m = buildGptAttentionMap(this.config, T, layer, { seed: this.optim.seed });
    const ex = await Executor.compile(this.ctx, m.g, {
      outputs: [m.probs],
      shareParams: this.trainer.executor,
      label: 'gpt.attention_map',
    });
    try {
      ex.write('ids', Int32Array.from(ids.slice(-T)));
      const [p] = await ex.step({ read: [m.probs] });
      return { heads: this.config.heads, T, probs: p as Float32Array };
    } finally {
      ex.destroy();
    }
  }

  /**
   * Checkpoint files: model.safetensors (Hugging Face GPT-2 names and layouts), config.json
   * (GPT2Config fields, our run state under "shadergrad"), optimizer.safetensors (AdamW state
   * under our parameter names) and, when given, tokenizer.json.
   */
  async save(
    progress: JsonObject = {},
    tokenizer?: object,
    ids: { bosId?: number; eosId?: number } = {},
  ): Promise<Record<string, Uint8Array>> {
    const ck = parseCheckpoint(await this.trainer.save(progress));
    const hf = toHf(ck.params, this.config);
    const tensors: Record<string, { dtype: 'F32'; shape: readonly number[]; data: Float32Array }> = {};
    for (const [n, t] of Object.entries(hf)) tensors[n] = { dtype: 'F32', shape: t.shape, data: t.data };
    const optimizer = buildCheckpoint({
      params: ck.params,
      optimizer: ck.optimizer,
      config: {},
      progress: ck.progress,
    })['optimizer.safetensors'];
    const config = gpt2Config(this.config, {
      ...ids,
      extra: { shadergrad: { model: { ...this.config }, run: ck.config, progress: ck.progress } },
    });
    const files: Record<string, Uint8Array> = {
      'model.safetensors': saveSafetensors(tensors, { format: 'pt' }),
      'config.json': new TextEncoder().encode(`${JSON.stringify(config, null, 2)}\n`),
      'optimizer.safetensors': optimizer,
    };
    if (tokenizer) files['tokenizer.json'] = new TextEncoder().encode(`${JSON.stringify(tokenizer)}\n`);
    return files;
  }

  /**
   * Load files written by `save` (same config). With optimizer.safetensors the optimizer state
   * and step are restored too (training continues exactly); without it only the weights.
   */
  load(files: Readonly<Record<string, Uint8Array>>): TrainingProgress {
    const cfg = readGptConfigFile(files);
    const params = readGpt2Weights(files['model.safetensors']!, this.config);
    const progress: TrainingProgress = {
      ...((cfg['shadergrad'] as { progress?: TrainingProgress } | undefined)?.progress ?? { step: 0 }),
    };
    if (!files['optimizer.safetensors']) {
      this.loadWeights(params);
      return { ...progress, step: this.trainer.step };
    }
    return this.trainer.restore(params, files['optimizer.safetensors'], progress);
  }

  /** Write weights in our names (e.g. openGptFolder's `params`, from any GPT-2 folder); the optimizer state is untouched. */
  loadWeights(params: Params): void {
    for (const p of this.trainer.params) {
      const t = params[p.name];
      if (!t) throw new Error(`gpt checkpoint: no parameter "${p.name}"`);
      if (t.data.length !== p.size)
        throw new Error(`gpt checkpoint: "${p.name}" has ${t.data.length} values, the model needs ${p.size}`);
      this.trainer.executor.write(p.name, t.data);
    }
  }

  destroy(): void {
    this.evalEx?.destroy();
    for (const e of this.logitsEx.values()) e.ex.destroy();
    this.decodeEx?.ex.destroy();
    this.trainer.destroy();
  }
}

/** config.json of a checkpoint as an object. */
export function readGptConfigFile(files: Readonly<Record<string, Uint8Array>>): Record<string, unknown> {
  const bytes = files['config.json'];
  if (!bytes) throw new Error('gpt checkpoint: missing config.json');
  return JSON.parse(new TextDecoder().decode(bytes)) as Record<string, unknown>;
}
