// A recurrent LM on the GPU: one compiled training step over a window of T steps (forward,
// backpropagation through the T steps, global-norm clipping, Adam — see graph.ts for the cells
// and the truncated-BPTT choice), an evaluation graph and a one-step graph for generation that
// share the trainer's weights. Generation carries h (and c) from step to step on the host, so it
// runs on past the training window.
import type { GpuContext } from '../../gpu/device';
import type { Value } from '../../graph/graph';
import { Executor } from '../../graph/executor';
import { Trainer } from '../../optim/trainer';
import { warmupCosine } from '../../optim/schedule';
import type { JsonObject, TrainingProgress } from '../../io/checkpoint';
import { Rng } from '../../util/prng';
import { argmax, sampleNext, type SampleOptions } from '../gpt/sampling';
import type { LmBatch } from '../gpt/data';
import { buildRnn, checkRnnConfig, feedName, rnnParamCount, type RnnConfig } from './graph';
import { oneHot, stepFeeds } from './data';

export interface RnnOptimOptions {
  batch: number;
  /** Peak learning rate (linear warmup, cosine to lr/10). */
  lr: number;
  warmup: number;
  decaySteps: number;
  /** Global-norm clip (default 1: Pascanu et al. 2013's remedy for exploding gradients). */
  clip?: number;
  seed: number;
}

/** The one-step graph of generation and the values it reads. */
interface StepGraph {
  ex: Executor;
  logits: Value;
  h: Value[];
  c: Value[];
}

export class RnnModel {
  private evalEx: { ex: Executor; loss: Value; logits: Value[] } | null = null;
  private stepEx: StepGraph | null = null;

  private constructor(
    readonly ctx: GpuContext,
    readonly config: RnnConfig,
    readonly optim: RnnOptimOptions,
    readonly trainer: Trainer,
  ) {}

  static async create(ctx: GpuContext, config: RnnConfig, optim: RnnOptimOptions): Promise<RnnModel> {
    checkRnnConfig(config);
    const m = buildRnn(config, optim.batch, config.block, { seed: optim.seed });
    const trainer = await Trainer.create(
      ctx,
      m.g,
      m.loss!,
      {
        kind: 'adam',
        lr: warmupCosine({ lr: optim.lr, warmup: optim.warmup, total: optim.decaySteps }),
        beta1: 0.9,
        beta2: 0.999,
        eps: 1e-8,
        weightDecay: 0,
      },
      { clip: optim.clip ?? 1, config: { model: { ...config }, optim: { ...optim } as unknown as JsonObject } },
    );
    return new RnnModel(ctx, config, optim, trainer);
  }

  get params(): number {
    return rnnParamCount(this.config);
  }

  get step(): number {
    return this.trainer.step;
  }

  private feeds(b: LmBatch): ReturnType<typeof stepFeeds> {
    return stepFeeds(b, this.optim.batch, this.config.block, this.config.vocabSize);
  }

  /** One optimizer step on a (batch, block) window batch; resolves with the loss when `read`. */
  async trainStep(b: LmBatch, read = false): Promise<number | null> {
    const out = await this.trainer.run(this.feeds(b), read ? [this.trainer.loss] : []);
    return read ? out[0]![0]! : null;
  }

  /** Mean loss over batches of (batch, block) windows, each from the zero state. */
  async evalLoss(batches: LmBatch[]): Promise<number> {
    return (await this.evaluate(batches, false)).loss;
  }

  /** Mean loss and (with `accuracy`) the top-1 next-token accuracy over the batches. */
  async evaluate(batches: LmBatch[], accuracy: boolean): Promise<{ loss: number; accuracy: number }> {
    if (!this.evalEx) {
      const m = buildRnn(this.config, this.optim.batch, this.config.block, { seed: this.optim.seed });
      const ex = await Executor.compile(this.ctx, m.g, {
        outputs: [m.loss!, ...m.logits],
        shareParams: this.trainer.executor,
        label: `${this.config.cell}.eval`,
      });
      this.evalEx = { ex, loss: m.loss!, logits: m.logits };
    }
    const { ex, loss, logits } = this.evalEx;
    const V = this.config.vocabSize;
    let s = 0;
    let right = 0;
    let n = 0;
    for (const b of batches) {
      const feeds = this.feeds(b);
      for (const [k, v] of Object.entries(feeds)) ex.write(k, v);
      const out = await ex.step({ read: accuracy ? [loss, ...logits] : [loss] });
      s += out[0]![0]!;
      if (!accuracy) continue;
      out.slice(1).forEach((l, t) => {
        const y = feeds[feedName.y(t)]!;
        for (let r = 0; r < y.length; r++, n++) if (argmax(l.subarray(r * V, r * V + V)) === y[r]) right++;
      });
    }
    return { loss: s / Math.max(1, batches.length), accuracy: n ? right / n : NaN };
  }

  private async stepGraph(): Promise<StepGraph> {
    if (this.stepEx) return this.stepEx;
    const m = buildRnn(this.config, 1, 1, { seed: this.optim.seed, loss: 'none', state: 'input' });
    const h = m.states.map((s) => s[0]!.h);
    const c = m.states.flatMap((s) => (s[0]!.c ? [s[0]!.c] : []));
    const ex = await Executor.compile(this.ctx, m.g, {
      outputs: [m.logits[0]!, ...h, ...c],
      shareParams: this.trainer.executor,
      label: `${this.config.cell}.step`,
    });
    this.stepEx = { ex, logits: m.logits[0]!, h, c };
    return this.stepEx;
  }

  /**
   * Prompt + `tokens` sampled tokens (seeded; temperature / top-k as SampleOptions), one step at a
   * time from the zero state, the state carried across every token.
   */
  async generate(prompt: number[], o: SampleOptions & { tokens: number; seed?: number }): Promise<number[]> {
    if (!prompt.length) throw new Error(`${this.config.cell}.generate: the prompt needs at least one token`);
    const s = await this.stepGraph();
    const { layers, hidden: H, vocabSize: V } = this.config;
    let h: Float32Array[] = Array.from({ length: layers }, () => new Float32Array(H));
    let c: Float32Array[] = s.c.map(() => new Float32Array(H));
    const rng = new Rng(o.seed ?? 1, 7);
    const seq = prompt.slice();
    for (let i = 0; i < prompt.length + o.tokens - 1; i++) {
      s.ex.write(feedName.x(0), oneHot([seq[i]!], V));
      h.forEach((v, l) => s.ex.write(feedName.h0(l), v));
      c.forEach((v, l) => s.ex.write(feedName.c0(l), v));
      const out = (await s.ex.step({ read: [s.logits, ...s.h, ...s.c] })) as Float32Array[];
      h = out.slice(1, 1 + layers);
      c = out.slice(1 + layers);
      if (i >= prompt.length - 1) seq.push(sampleNext(out[0]!, rng, o));
    }
    return seq;
  }

  /** Checkpoint files (model.safetensors, optimizer.safetensors, config.json) plus tokenizer.json. */
  async save(progress: JsonObject = {}, tokenizer?: object): Promise<Record<string, Uint8Array>> {
    const files: Record<string, Uint8Array> = { ...(await this.trainer.save(progress)) };
    if (tokenizer) files['tokenizer.json'] = new TextEncoder().encode(`${JSON.stringify(tokenizer)}\n`);
    return files;
  }

  /** Load files written by `save` (same config): weights, Adam state and step. */
  load(files: Readonly<Record<string, Uint8Array>>): TrainingProgress {
    return this.trainer.load(files);
  }

  /** The current weights by parameter name (e.g. for the gradient lesson in float64). */
  async weights(): Promise<Record<string, Float32Array>> {
    const out: Record<string, Float32Array> = {};
    for (const p of this.trainer.params) out[p.name] = (await this.trainer.executor.read(p)) as Float32Array;
    return out;
  }

  destroy(): void {
    this.evalEx?.ex.destroy();
    this.stepEx?.ex.destroy();
    this.trainer.destroy();
  }
}
