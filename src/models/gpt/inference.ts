// GPT inference on weights another executor owns (the trainer's: no copies): next-token logits
// of whole sequences (sampling and beam search), a KV-cache decoding step, generation, and
// attention maps. Graphs are built on first use and kept.
import type { GpuContext } from '../../gpu/device';
import type { Profiler } from '../../gpu/profiler';
import type { Value } from '../../graph/graph';
import { Executor } from '../../graph/executor';
import { loraShapes, type LoraConfig, type LoraShape } from '../../nn/lora';
import { readGptAdapter } from './adapter';
import { Rng } from '../../util/prng';
import { buildGpt, buildGptAttentionMap, buildGptDecode, checkGptConfig, type GptConfig } from './graph';
import type { MemoryReport } from '../../graph/memory';
import { beamSearch, sampleNext, type SampleOptions } from './sampling';

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

export class GptInference {
  private logitsEx = new Map<number, { ex: Executor; logits: Value }>();
  private decodeEx: { ex: Executor; logits: Value } | null = null;

  constructor(
    readonly ctx: GpuContext,
    readonly config: GptConfig,
    /** Seed and adapters of the graphs: those of the model whose weights `weights` holds. */
    private readonly build: { seed: number; lora?: LoraConfig },
    /** The executor whose parameters (by name) these graphs use. */
    private readonly weights: Executor,
    /** Whether `weights` is this object's own (open) rather than a trainer's. */
    private readonly owns = false,
  ) {}

  /**
   * Inference without a trainer: the KV-cache decoding graph owns the one copy of the weights
   * (random from `build.seed` until loadWeights) and the cache; every other graph borrows them.
   * GPT-2 small: its 498 MB of f32 weights plus a 75 MB cache, no gradients, no optimizer state.
   */
  static async open(
    ctx: GpuContext,
    config: GptConfig,
    build: { seed: number; lora?: LoraConfig } = { seed: 1 },
  ): Promise<GptInference> {
    checkGptConfig(config);
    const m = buildGptDecode(config, 1, build);
    const ex = await Executor.compile(ctx, m.g, { outputs: [m.logits], label: 'gpt.decode' });
    const inf = new GptInference(ctx, config, build, ex, true);
    inf.decodeEx = { ex, logits: m.logits };
    inf.adapters = loraShapes(m.lora);
    return inf;
  }

  /** The adapters' shapes of an opened LoRA model (empty otherwise). */
  private adapters: LoraShape[] = [];

  /** Write a LoRA adapter's weights (PEFT's files, ours or PEFT's) into an opened LoRA model. */
  loadAdapter(files: Readonly<Record<string, Uint8Array>>): void {
    const lora = this.build.lora;
    if (!this.owns || !lora) throw new Error('gpt inference: loadAdapter needs a model opened with { lora }');
    for (const [n, t] of Object.entries(readGptAdapter(files, this.adapters, lora.r))) this.weights.write(n, t.data);
  }

  /** GPU bytes of the weights and the KV cache this object holds (0 when it borrows a trainer's). */
  get memory(): MemoryReport | null {
    return this.owns ? this.weights.memory : null;
  }

  /** Write weights by our names (e.g. openGptFolder's params) into the executor that owns them. */
  loadWeights(params: Readonly<Record<string, { data: Float32Array }>>): void {
    for (const [name, p] of this.weights.graph.params) {
      if (name.startsWith('cache.')) continue;
      const t = params[name];
      if (!t && name.includes('.lora_')) continue;
      if (!t) throw new Error(`gpt weights: no parameter "${name}"`);
      if (t.data.length !== p.size)
        throw new Error(`gpt weights: "${name}" has ${t.data.length} values, needs ${p.size}`);
      this.weights.write(name, t.data);
    }
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
      const m = buildGpt(this.config, B, T, { ...this.build, loss: false, dropout: false });
      e = {
        ex: await Executor.compile(this.ctx, m.g, {
          outputs: [m.logits],
          shareParams: this.weights,
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
      const m = buildGptDecode(this.config, 1, this.build);
      this.decodeEx = {
        ex: await Executor.compile(this.ctx, m.g, {
          outputs: [m.logits],
          shareParams: this.weights,
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
    const m = buildGptAttentionMap(this.config, T, layer, this.build);
    const ex = await Executor.compile(this.ctx, m.g, {
      outputs: [m.probs],
      shareParams: this.weights,
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

  destroy(): void {
    for (const e of this.logitsEx.values()) e.ex.destroy();
    // an owned decoding executor holds the weights the other graphs borrow: it goes last
    this.decodeEx?.ex.destroy();
  }
}
