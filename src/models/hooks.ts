// The hooks every training loop takes (gpt/train.ts, bert/train.ts, word2vec/train.ts and the
// classic lessons), so a page or the CLI job is a thin view over the library's loop: it draws in
// onProgress / onEval and stops the loop through shouldStop, and never copies the loop itself.
//
//   onProgress(p)  after a step (each loop says which steps report), awaited: a page may draw
//                  and yield a frame in it
//   onEval(e)      after each evaluation on held-out data, awaited
//   shouldStop()   polled once per step; true ends the loop after that step; the model trained
//                  so far is kept (and evaluated, where the loop evaluates at its end)

export interface TrainHooks<P> {
  onProgress?: (p: P) => void | Promise<void>;
  shouldStop?: () => boolean;
}

/** The hook of loops that evaluate on held-out data as they go (GPT, BERT). */
export interface EvalHooks<E> {
  onEval?: (e: E) => void | Promise<void>;
}
