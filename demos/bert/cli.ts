// `window.__bert` for scripts/bert.ts: the Node side sends a checkpoint folder's files (base64)
// and a request; the op runs here on WebGPU (src/models/bert_use.ts) and returns plain JSON.
import type { GpuContext } from '../../src/gpu/device';
import { openBertFolder, fillMaskFromFolder, classifyFromFolder, similarityFromFolder } from '../../src/models/bert_use';
import { fromBase64 } from '../common/base64';
import { settle, type Settled } from '../common/settle';
import type { FillMaskOutput, ClassifyOutput, SimilarityOutput } from '../../src/models/bert_use';

export type BertCliRequest =
  | { op: 'fill-mask'; texts: string[]; topK: number }
  | { op: 'classify'; texts: string[] }
  | { op: 'similarity'; texts: string[]; word: string };

export type BertCliResult = FillMaskOutput[] | ClassifyOutput[] | SimilarityOutput;

declare global {
  interface Window {
    __bert: { run(files: Record<string, string>, r: BertCliRequest): Promise<Settled<BertCliResult>> };
  }
}

export function installBertCli(context: () => Promise<GpuContext>): void {
  window.__bert = {
    run: (b64, r) =>
      settle(async (): Promise<BertCliResult> => {
        const f = openBertFolder(Object.fromEntries(Object.entries(b64).map(([k, v]) => [k, fromBase64(v)])));
        const ctx = await context();
        if (r.op === 'fill-mask') return fillMaskFromFolder(ctx, f, r.texts, r.topK);
        if (r.op === 'classify') return classifyFromFolder(ctx, f, r.texts);
        return similarityFromFolder(ctx, f, r.word, r.texts);
      }),
  };
}
