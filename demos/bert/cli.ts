// `window.__bert` for scripts/bert.ts: the Node side sends a checkpoint folder's files (base64)
// and a request; the op runs here on WebGPU (bert.fillMaskFromFolder, …: src/models/bert/use.ts)
// and returns plain JSON.
import { bert, type GpuContext } from '../../src/index';
import { fromBase64 } from '../common/base64';
import { settle, type Settled } from '../common/settle';

export type BertCliRequest =
  | { op: 'fill-mask'; texts: string[]; topK: number }
  | { op: 'classify'; texts: string[] }
  | { op: 'similarity'; texts: string[]; word: string };

export type BertCliResult = bert.FillMaskOutput[] | bert.ClassifyOutput[] | bert.SimilarityOutput;

declare global {
  interface Window {
    __bert: { run(files: Record<string, string>, r: BertCliRequest): Promise<Settled<BertCliResult>> };
  }
}

export function installBertCli(context: () => Promise<GpuContext>): void {
  window.__bert = {
    run: (b64, r) =>
      settle(async (): Promise<BertCliResult> => {
        const f = bert.openBertFolder(Object.fromEntries(Object.entries(b64).map(([k, v]) => [k, fromBase64(v)])));
        const ctx = await context();
        if (r.op === 'fill-mask') return bert.fillMaskFromFolder(ctx, f, r.texts, r.topK);
        if (r.op === 'classify') return bert.classifyFromFolder(ctx, f, r.texts);
        return bert.similarityFromFolder(ctx, f, r.word, r.texts);
      }),
  };
}
