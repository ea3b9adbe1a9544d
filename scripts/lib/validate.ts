// Everything about a `npm run train` run that can be checked before the browser starts, after
// the flags themselves (scripts/lib/flags.ts): the output folder, the files (corpus, labels,
// questions: there, UTF-8 text, long enough, well-formed lines), the --resume folder, and the
// rules that tie flags together (embd divisible by heads, …). The rules are the models' own pure
// checks (checkGptConfig, checkBertConfig, checkLmSplit, parseLabelledTsv, …), so each lives in
// one place; this module only feeds them. A refusal is an InputError (exit 2, one line).
import { accessSync, constants, readdirSync } from 'node:fs';
import path from 'node:path';
import { InputError, gpt, bert, text, evaluation, nn } from '../../src/index';
import type { TrainArgs } from './cli';
import type { FlagValue } from './flags';
import {
  BERT_FILES,
  about,
  aboutAsync,
  asBase64,
  isAdapterFolder,
  openGptFolderAt,
  readFolder,
  readTextFile,
  statOf,
} from './folders';

/**
 * --out: refuse a file, a folder that is not empty (unless resuming or --force) and a place no folder can
 * be made, before training — not after it, when the run would be lost.
 */
export function checkOutDir(out: string, mayBeUsed: boolean): void {
  const st = statOf(out);
  if (st && !st.isDirectory()) throw new InputError(`--out ${out}: a file is there, not a folder`);
  if (st && !mayBeUsed && readdirSync(out).length > 0)
    throw new InputError(
      `--out ${out}: the folder exists and is not empty (give a new folder, or --force to write into it; a --resume run may too)`,
    );
  let p = path.resolve(out);
  while (!statOf(p)) p = path.dirname(p);
  if (!statOf(p)!.isDirectory()) throw new InputError(`--out ${out}: ${p} is a file, so the folder cannot be made`);
  try {
    accessSync(p, constants.W_OK);
  } catch {
    throw new InputError(`--out ${out}: ${p} is not writable`);
  }
}

type Options = Readonly<Record<string, FlagValue>>;

const num = (o: Options, k: string): number => {
  const v = o[k];
  if (typeof v !== 'number') throw new Error(`validate: option --${k} has no number (a ModelSpec default is missing)`);
  return v;
};

/** --init DIR (a model to fine-tune) and --lora: the folder opened, the LoRA flags checked against its modules. */
function checkGptInit(
  a: TrainArgs,
  files: Record<string, string>,
): { config: gpt.GptConfig; tok: text.Tokenizer } | null {
  const o = a.options;
  const lora = typeof o.lora === 'number' && o.lora > 0;
  if (typeof o.init !== 'string') {
    if (lora) throw new InputError('--lora: LoRA fine-tunes a trained model: give its folder with --init DIR');
    if (o.merge === true) throw new InputError('--merge: only a LoRA run (--init DIR --lora R) has adapters to merge');
    return null;
  }
  if (o.merge === true && !lora) throw new InputError('--merge: only a LoRA run (--lora R) has adapters to merge');
  const { folder, files: raw } = openGptFolderAt(`--init ${o.init}`, o.init);
  delete raw['optimizer.safetensors']; // a fine-tuning run starts its own optimizer
  Object.assign(files, asBase64(raw, 'init/'));
  if (lora)
    about('--lora-targets', () =>
      gpt.checkGptLoraTargets(
        folder.config,
        String(o['lora-targets'])
          .split(',')
          .map((t) => t.trim()),
      ),
    );
  about('--lora', () =>
    nn.checkLoraConfig({
      r: lora ? Number(o.lora) : 1,
      alpha: num(o, 'lora-alpha'),
      dropout: num(o, 'lora-dropout'),
      targets: String(o['lora-targets']).split(','),
    }),
  );
  // --block is then the training window, at most the model's context: what the corpus must fill
  const block = Math.min(num(o, 'block'), folder.config.block);
  return { config: { ...folder.config, dropout: num(o, 'dropout'), block }, tok: folder.tokenizer };
}

/** GPT: the config rules, the corpus long enough for --block, --prompt, --init and --resume. */
function checkGpt(a: TrainArgs, corpus: string | undefined, files: Record<string, string>): void {
  const o = a.options;
  let config: gpt.GptConfig;
  let tok: text.Tokenizer | null = null;
  const init = checkGptInit(a, files);
  if (typeof o.resume === 'string' && isAdapterFolder(o.resume)) {
    if (!init)
      throw new InputError(
        `--resume ${o.resume}: a LoRA run: give its base model too (--init DIR, as when it started)`,
      );
    const raw = readFolder(`--resume ${o.resume}`, o.resume, gpt.GPT_LORA_RUN_FILES);
    about(`--resume ${o.resume}`, () => gpt.readAdapterConfig(raw));
    Object.assign(files, asBase64(raw, 'resume/'));
    ({ config, tok } = init);
    if (corpus !== undefined)
      text.checkEncodable(tok, corpus, `--corpus ${String(o.corpus)} (with the base model's tokenizer)`);
  } else if (typeof o.resume === 'string') {
    const { folder, files: raw } = openGptFolderAt(`--resume ${o.resume}`, o.resume);
    if (!raw['tokenizer.json'])
      throw new InputError(
        `--resume ${o.resume}: a Hugging Face folder (vocab.json + merges.txt) holds no run to resume; --resume takes a folder written by \`npm run train -- gpt\` (generate from it with \`npm run generate -- ${o.resume}\`)`,
      );
    Object.assign(files, asBase64(raw, 'resume/'));
    config = { ...folder.config, dropout: num(o, 'dropout') };
    tok = folder.tokenizer;
    if (corpus !== undefined)
      text.checkEncodable(tok, corpus, `--corpus ${String(o.corpus)} (with the checkpoint's tokenizer)`);
  } else if (init) {
    ({ config, tok } = init);
    if (corpus !== undefined)
      text.checkEncodable(tok, corpus, `--corpus ${String(o.corpus)} (with the base model's tokenizer)`);
  } else {
    const bpe = o.tokenizer === 'bpe';
    if (corpus !== undefined && !bpe) tok = text.CharTokenizer.train(corpus);
    // the built-in corpus's vocabulary is known only in the page; any positive size passes the rules
    const vocabSize = bpe ? num(o, 'vocab') : (tok?.vocabSize ?? 1);
    config = {
      vocabSize,
      block: num(o, 'block'),
      layers: num(o, 'layers'),
      heads: num(o, 'heads'),
      embd: num(o, 'embd'),
      dropout: num(o, 'dropout'),
      bias: true,
    };
  }
  gpt.checkGptConfig(config);
  if (corpus !== undefined) {
    // a char tokenizer makes one token per code point; byte-level BPE never more than one per byte
    if (tok?.kind === 'char')
      about(`--corpus ${String(o.corpus)}`, () => gpt.checkLmSplit([...corpus].length, config.block, 'characters'));
    else
      about(`--corpus ${String(o.corpus)}`, () => gpt.checkLmSplit(Buffer.byteLength(corpus), config.block, 'bytes'));
  }
  if (typeof o.prompt === 'string' && tok) text.checkEncodable(tok, o.prompt, '--prompt');
}

/** BERT: the config rules, the corpus' documents, the label lines and --resume. */
function checkBert(a: TrainArgs, texts: Readonly<Record<string, string>>, files: Record<string, string>): void {
  const o = a.options;
  bert.checkBertConfig(
    bert.bertConfig({
      vocabSize: num(o, 'vocab'),
      hidden: num(o, 'embd'),
      layers: num(o, 'layers'),
      heads: num(o, 'heads'),
      maxPosition: num(o, 'block'),
      dropout: num(o, 'dropout'),
    }),
  );
  if (texts.corpus !== undefined) about(`--corpus ${String(o.corpus)}`, () => bert.bertDocuments(texts.corpus!));
  if (texts.labels !== undefined) text.parseLabelledTsv(texts.labels, `--labels ${String(o.labels)}`);
  if (typeof o.resume === 'string') {
    // a bert run folder holds the checkpoint in pretrained/
    const dir = statOf(path.join(o.resume, 'pretrained', 'config.json')) ? path.join(o.resume, 'pretrained') : o.resume;
    const raw = readFolder(`--resume ${dir}`, dir, BERT_FILES);
    about(`--resume ${dir}`, () => bert.checkBertResume(raw, a.steps, num(o, 'block')));
    Object.assign(files, asBase64(raw, 'resume/'));
  }
}

/** word2vec: a corpus with words that pass --min-count, a questions file of four-word lines. */
async function checkWord2vec(a: TrainArgs, texts: Readonly<Record<string, string>>): Promise<void> {
  const o = a.options;
  if (texts.corpus !== undefined) {
    const counts = await aboutAsync(`--corpus ${String(o.corpus)}`, () =>
      text.countWords(text.stringSource(texts.corpus!)),
    );
    about(`--corpus ${String(o.corpus)}`, () => text.Vocab.fromCounts(counts.counts, num(o, 'min-count')));
  }
  if (texts.questions !== undefined) evaluation.parseQuestions(texts.questions, `--questions ${String(o.questions)}`);
}

/**
 * Check a parsed run and gather what the page needs: the texts of its file flags by flag name,
 * and a --resume folder's files as base64 under `resume/<file>`. Throws InputError.
 */
export async function prepareTrainJob(a: TrainArgs): Promise<Record<string, string>> {
  checkOutDir(a.out, typeof a.options.resume === 'string' || a.force);
  const texts: Record<string, string> = {};
  for (const name of a.files)
    texts[name] = readTextFile(`--${name} ${String(a.options[name])}`, String(a.options[name]));
  const files: Record<string, string> = { ...texts };
  if (a.model === 'gpt') checkGpt(a, texts.corpus, files);
  else if (a.model === 'bert') checkBert(a, texts, files);
  else if (a.model === 'word2vec') await checkWord2vec(a, texts);
  return files;
}
