// The BERT page's shared state and helpers: the defaults and URL parameters, form readers, the
// models the panels share (State), the results published for test/demos.test.ts (window.__demo),
// the Stop flag the training loops poll, and which buttons are enabled when. The panels
// (pretrain_panel.ts, finetune_panel.ts, use_panel.ts) and main.ts import it.
import { bert, type GpuContext } from '../../src/index';
import { Clock } from '../common/progress';

export const D = bert.BERT_DEFAULTS;
export const params = new URLSearchParams(location.search);
export const $ = <T extends HTMLElement = HTMLElement>(id: string): T => document.getElementById(id) as T;
export const num = (id: string): number => Number($<HTMLInputElement>(id).value);
export const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');

export interface State {
  ctx: GpuContext;
  /** The built-in texts, and their ids in the page's vocabulary (re-encoded when a folder is loaded). */
  texts: bert.BertTexts;
  data: bert.BertData;
  cfg?: bert.BertConfig;
  /** The pretraining run, going or stopped (Resume continues it: same model, AdamW state, batches). */
  run?: bert.BertPretraining;
  inf?: bert.BertInference;
  /** Whether `inf` has a trained masked-LM head (a loaded classifier/ folder has none). */
  hasMlm?: boolean;
  /** Weights of a loaded folder: fine-tuning starts from them when nothing was pretrained here. */
  loaded?: bert.BertParams;
  cls?: bert.BertClassifier;
  preFiles?: bert.BertCheckpointFiles;
  clsFiles?: bert.BertCheckpointFiles;
}
export let st: State;
/** Set once, when the GPU and the vocabulary are ready (start in main.ts). */
export function setState(s: State): void {
  st = s;
}
export const results: Record<string, unknown> = {};
window.__demo = results;
/** Set by a Stop button: the running pretraining or fine-tuning loop ends after its current step. */
export let stopping = false;
/** A Stop button: see `stopping`. */
export function requestStop(): void {
  stopping = true;
}

/** While a training loop runs, everything is disabled but its Stop button. */
export function trainingStarted(stopId: 'pre-stop' | 'ft-stop'): Clock {
  stopping = false;
  $<HTMLButtonElement>(stopId).disabled = false;
  return new Clock();
}

export function setBusy(busy: boolean): void {
  for (const b of document.querySelectorAll('button')) (b as HTMLButtonElement).disabled = busy;
  if (!busy) {
    for (const id of ['pre-stop', 'ft-stop']) $<HTMLButtonElement>(id).disabled = true;
    $<HTMLButtonElement>('pre-resume').disabled = !st.run || st.run.step >= st.run.o.steps;
    for (const id of ['ctx', 'attend', 'finetune']) $<HTMLButtonElement>(id).disabled = !st.inf;
    for (const id of ['fill', 'dl-pre']) $<HTMLButtonElement>(id).disabled = !st.inf || !st.hasMlm;
    for (const id of ['classify', 'dl-cls']) $<HTMLButtonElement>(id).disabled = !st.cls;
  }
}

/** Free the models (a new pretraining or a loaded folder replaces them all). */
export function dropModels(): void {
  st.inf?.destroy();
  st.run?.destroy();
  st.cls?.destroy();
  st.inf = st.run = st.cls = st.loaded = undefined;
}
