// Graph op definitions of the fused layers: softmax, layernorm, flash attention, cross-entropy,
// embedding and dropout, each with its backward op (what it saves for backward is said there).
import { ShapeError, fmtShape } from '../util/errors';
import { numel, sameShape } from '../util/shape';
import { streamKey } from '../util/prng';
import type { OpAttrs } from './attrs';
import type { OpDef, Sym, TypeInfo } from './registry_types';
import { softmaxForward, softmaxBackward } from './softmax';
import * as smRef from '../reference/softmax';
import { layernormForward, layernormBackward } from './layernorm';
import * as lnRef from '../reference/layernorm';
import { attentionForward, attentionBackward } from './attention';
import * as attRef from '../reference/attention';
import { crossEntropyForward, crossEntropyBackward } from './cross_entropy';
import * as ceRef from '../reference/cross_entropy';
import { embeddingForward, embeddingBackward } from './embedding';
import * as embRef from '../reference/embedding';
import { dropoutForward, dropoutBackward } from './dropout';
import * as dropRef from '../reference/dropout';
import { emptyTensor } from '../gpu/tensor';

type Def<K extends keyof OpAttrs> = OpDef<OpAttrs[K], OpAttrs>;

function same(t: TypeInfo): TypeInfo {
  return { shape: [...t.shape], dtype: t.dtype };
}

function rc(shape: readonly number[]): { R: number; C: number } {
  const C = shape[shape.length - 1] ?? 1;
  return { R: C === 0 ? 0 : numel(shape) / C, C };
}

function attShape(q: TypeInfo, k: TypeInfo): attRef.AttentionShape {
  const [B, H, Tq, d] = q.shape as [number, number, number, number];
  return { B, H, Tq, Tk: k.shape[2]!, d };
}

function checkAttention(op: string, [q, k, v, kvLen]: TypeInfo[]): void {
  if (q!.shape.length !== 4) throw new ShapeError(op, `q ${fmtShape(q!.shape)} must be (B, H, T, d)`);
  if (!sameShape(k!.shape, v!.shape)) throw new ShapeError(op, `k ${fmtShape(k!.shape)} and v ${fmtShape(v!.shape)} differ`);
  const [B, H, , d] = q!.shape;
  if (k!.shape.length !== 4 || k!.shape[0] !== B || k!.shape[1] !== H || k!.shape[3] !== d) {
    throw new ShapeError(op, `k ${fmtShape(k!.shape)} does not match q ${fmtShape(q!.shape)}`);
  }
  if (kvLen && (kvLen.dtype !== 'i32' || !sameShape(kvLen.shape, [B!]))) throw new ShapeError(op, `kvLen must be i32 [${B}], got ${kvLen.dtype} ${fmtShape(kvLen.shape)}`);
}

export const nnOps: {
  [K in 'softmax' | 'softmax_backward' | 'layernorm' | 'layernorm_backward' | 'attention' | 'attention_backward' | 'cross_entropy' | 'cross_entropy_backward' | 'embedding' | 'embedding_backward' | 'dropout' | 'dropout_backward']: Def<K>;
} = {
  softmax: {
    inputs: ['x'],
    infer: ([x]) => [same(x!)],
    encode: async (rec, [x], [y], a) => void (await softmaxForward(rec, x!, a, y)),
    // dx = scale·y⊙(dy − Σ dy⊙y), from the saved output y
    backward: (b, _, [y], [dy], a) => [b.apply('softmax_backward', [dy!, y!], a)[0]!],
    reference: ([x], [t], a) => [smRef.softmaxForward(x!, rc(t!.shape).R, rc(t!.shape).C, { scale: a.scale ?? 1, causal: a.causal ?? false })],
  },
  softmax_backward: {
    inputs: ['dy', 'y'],
    infer: ([dy]) => [same(dy!)],
    encode: async (rec, [dy, y], [dx], a) => void (await softmaxBackward(rec, dy!, y!, a, dx)),
    backward: 'second derivatives of softmax are not implemented',
    reference: ([dy, y], [t], a) => [smRef.softmaxBackward(dy!, y!, rc(t!.shape).R, rc(t!.shape).C, { scale: a.scale ?? 1, causal: a.causal ?? false })],
  },
  layernorm: {
    inputs: ['x', 'gamma', 'beta'],
    infer: ([x, g, bt]) => {
      const C = x!.shape[x!.shape.length - 1]!;
      if (!sameShape(g!.shape, [C]) || !sameShape(bt!.shape, [C])) throw new ShapeError('layernorm', `gamma ${fmtShape(g!.shape)} and beta ${fmtShape(bt!.shape)} must be [${C}] for x ${fmtShape(x!.shape)}`);
      const stat = { shape: x!.shape.slice(0, -1), dtype: 'f32' as const };
      return [same(x!), stat, { ...stat, shape: [...stat.shape] }];
    },
    encode: async (rec, [x, g, bt], [y, mean, rstd], a) => void (await layernormForward(rec, x!, g!, bt!, a, { y, mean, rstd })),
    // saves mean and rstd; dx, dgamma, dbeta in one fused backward family
    backward: (b, [x, g], [, mean, rstd], [dy], a) => (dy ? b.apply('layernorm_backward', [dy, x!, g!, mean!, rstd!], a) : [null, null, null]),
    reference: ([x, g, bt], [t], a) => {
      const r = lnRef.layernormForward(x!, g!, bt!, rc(t!.shape).R, rc(t!.shape).C, a.eps);
      return [r.y, r.mean, r.rstd];
    },
  },
  layernorm_backward: {
    inputs: ['dy', 'x', 'gamma', 'mean', 'rstd'],
    infer: ([dy, , g]) => [same(dy!), same(g!), same(g!)],
    encode: async (rec, [dy, x, g, mean, rstd], [dx, dgamma, dbeta], a) => void (await layernormBackward(rec, dy!, x!, g!, mean!, rstd!, a, { dx, dgamma, dbeta })),
    backward: 'second derivatives of layernorm are not implemented',
    reference: ([dy, x, g, mean, rstd], [t]) => {
      const r = lnRef.layernormBackward(dy!, x!, g!, mean!, rstd!, rc(t!.shape).R, rc(t!.shape).C);
      return [r.dx, r.dgamma, r.dbeta];
    },
  },
  attention: {
    inputs: ['q', 'k', 'v', 'kvLen?'],
    infer: (ins) => {
      checkAttention('attention', ins);
      return [same(ins[0]!), { shape: ins[0]!.shape.slice(0, 3), dtype: 'f32' }];
    },
    encode: async (rec, [q, k, v, kvLen], [out, lse], a) => void (await attentionForward(rec, q!, k!, v!, { causal: a.causal, scale: a.scale, kvLen }, { out, lse })),
    // saves out and the logsumexp; backward recomputes P block by block (FlashAttention-2)
    backward: (b, ins, [out, lse], [dout], a) => {
      if (!dout) return ins.map(() => null);
      const [q, k, v, kvLen] = ins;
      const g = b.apply('attention_backward', (kvLen ? [dout, q!, k!, v!, out!, lse!, kvLen] : [dout, q!, k!, v!, out!, lse!]) as Sym[] as never, a);
      return [g[0]!, g[1]!, g[2]!, ...(kvLen ? [null] : [])] as never;
    },
    reference: ([q, k, v, kvLen], [tq, tk], a) => {
      const r = attRef.attentionForward(q!, k!, v!, attShape(tq!, tk!), { causal: a.causal, scale: a.scale, kvLen });
      return [r.out, r.lse];
    },
  },
  attention_backward: {
    inputs: ['dout', 'q', 'k', 'v', 'out', 'lse', 'kvLen?'],
    infer: ([, q, k, v]) => [same(q!), same(k!), same(v!)],
    encode: async (rec, [dout, q, k, v, out, lse, kvLen], [dq, dk, dv], a) => {
      const r = await attentionBackward(rec, dout!, q!, k!, v!, out!, lse!, { causal: a.causal, scale: a.scale, kvLen }, { dq, dk, dv });
      rec.releaseAfterSubmit(r.stats);
    },
    backward: 'second derivatives of attention are not implemented',
    reference: ([dout, q, k, v, , , kvLen], [, tq, tk], a) => {
      const r = attRef.attentionBackward(dout!, q!, k!, v!, attShape(tq!, tk!), { causal: a.causal, scale: a.scale, kvLen });
      return [r.dq, r.dk, r.dv];
    },
  },
  cross_entropy: {
    inputs: ['logits', 'targets'],
    infer: ([l, t]) => {
      if (l!.shape.length !== 2 || l!.dtype !== 'f32') throw new ShapeError('cross_entropy', `logits ${fmtShape(l!.shape)} must be f32 (R, V)`);
      if (t!.dtype !== 'i32' || !sameShape(t!.shape, [l!.shape[0]!])) throw new ShapeError('cross_entropy', `targets must be i32 [${l!.shape[0]}], got ${t!.dtype} ${fmtShape(t!.shape)}`);
      return [{ shape: [1], dtype: 'f32' }, { shape: [l!.shape[0]!], dtype: 'f32' }];
    },
    encode: async (rec, [logits, targets], [loss, losses], a) => {
      const stats = emptyTensor(rec.ctx, [2], 'f32', 'cross_entropy.stats');
      await crossEntropyForward(rec, logits!, targets!, { ignoreIndex: a.ignoreIndex }, { loss, losses, stats });
      rec.releaseAfterSubmit(stats);
    },
    // saves nothing: backward recomputes softmax from the logits
    backward: (b, [logits, targets], _, [dloss], a) => {
      if (!dloss) throw new ShapeError('cross_entropy', 'only the mean loss (output 0) is differentiable');
      return [b.apply('cross_entropy_backward', [dloss, logits!, targets!], a)[0]!, null];
    },
    reference: ([l, t], [tl], a) => {
      const r = ceRef.crossEntropyForward(l!, t!, tl!.shape[0]!, tl!.shape[1]!, a.ignoreIndex);
      return [Float64Array.of(r.loss), r.losses];
    },
  },
  cross_entropy_backward: {
    inputs: ['dloss', 'logits', 'targets'],
    infer: ([, l]) => [same(l!)],
    encode: async (rec, [dloss, logits, targets], [dlogits], a) => {
      const stats = emptyTensor(rec.ctx, [2], 'f32', 'cross_entropy_backward.stats');
      await crossEntropyBackward(rec, dloss!, logits!, targets!, stats, { ignoreIndex: a.ignoreIndex }, dlogits);
      rec.releaseAfterSubmit(stats);
    },
    backward: 'second derivatives of cross-entropy are not implemented',
    reference: ([dl, l, t], [, tl], a) => [ceRef.crossEntropyBackward(dl![0]!, l!, t!, tl!.shape[0]!, tl!.shape[1]!, a.ignoreIndex)],
  },
  embedding: {
    inputs: ['table', 'ids'],
    infer: ([table, ids]) => {
      if (table!.shape.length !== 2) throw new ShapeError('embedding', `table ${fmtShape(table!.shape)} must be (V, D)`);
      if (ids!.dtype !== 'i32') throw new ShapeError('embedding', `ids must be i32, got ${ids!.dtype}`);
      return [{ shape: [...ids!.shape, table!.shape[1]!], dtype: 'f32' }];
    },
    encode: async (rec, [table, ids], [out]) => void (await embeddingForward(rec, table!, ids!, out)),
    // dtable = scatter-add of dout rows at ids (deterministic segment sums); ids get none
    backward: (b, [table, ids], _, [dout]) => [b.apply('embedding_backward', [dout!, ids!], { vocab: table!.shape[0]! })[0]!, null],
    reference: ([table, ids], [tt]) => [embRef.embeddingForward(table!, ids!, tt!.shape[0]!, tt!.shape[1]!)],
  },
  embedding_backward: {
    inputs: ['dout', 'ids'],
    infer: ([dout], a) => [{ shape: [a.vocab, dout!.shape[dout!.shape.length - 1]!], dtype: 'f32' }],
    encode: async (rec, [dout, ids], [dtable], a) => {
      const r = await embeddingBackward(rec, dout!, ids!, a.vocab, {}, dtable);
      r.workspace?.releaseAfterSubmit(rec);
    },
    backward: 'second derivatives of embedding are not implemented',
    reference: ([dout, ids], [td], a) => [embRef.embeddingBackward(dout!, ids!, a.vocab, td!.shape[td!.shape.length - 1]!)],
  },
  dropout: {
    inputs: ['x'],
    infer: ([x]) => [same(x!)],
    encode: async (rec, [x], [y], a) => void (await dropoutForward(rec, x!, { p: a.p, seed: a.seed, step: 0 }, y)),
    // dx = dy·mask/(1−p): the mask is regenerated from (seed, step), nothing saved
    backward: (b, _, __, [dy], a) => [b.apply('dropout_backward', [dy!], a)[0]!],
    perStep: (a, step) => ({ key: streamKey(a.seed, step) }),
    reference: ([x], __, a) => [dropRef.dropoutForward(x!, a.p, a.seed, 0)],
  },
  dropout_backward: {
    inputs: ['dy'],
    infer: ([dy]) => [same(dy!)],
    encode: async (rec, [dy], [dx], a) => void (await dropoutBackward(rec, dy!, { p: a.p, seed: a.seed, step: 0 }, dx)),
    backward: (b, _, __, [g], a) => [b.apply('dropout_backward', [g!], a)[0]!],
    perStep: (a, step) => ({ key: streamKey(a.seed, step) }),
    reference: ([dy], __, a) => [dropRef.dropoutBackward(dy!, a.p, a.seed, 0)],
  },
};
