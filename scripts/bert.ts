// npm run bert -- <fill-mask|classify|similarity> DIR [TEXT ...] [--file FILE] [--top-k K] [--word W] [--json]
// Uses a BERT folder written by `npm run train -- bert` or a Hugging Face BERT folder
// (save_pretrained's or the hub's layout: src/models/bert/hub.ts): loads it into headless Chromium
// (demos/bert/?cli=1, src/models/bert/use.ts), runs the op there on WebGPU and prints the result,
// as a table or (--json) as JSON shaped like Hugging Face's pipelines. The folder and the texts
// are checked here before the browser starts, by the page's own pure checks (a text with no
// [MASK], too long, a folder without the op's head, garbage files). Exit codes: 0 done,
// 1 failed (no WebGPU, …), 2 bad arguments or bad input (one line: scripts/lib/exit.ts).
import { startBrowserEnv, openPage } from './lib/browser';
import { BERT_USAGE, parseBertArgs, textsOfFile, type BertArgs } from './lib/bert_args';
import { asBase64, openBertFolderAt, readTextFile } from './lib/folders';
import { exitOnError, reportError, unwrap } from './lib/exit';
import { bert } from '../src/index';
import type { BertCliRequest } from '../demos/bert/cli';

const argv = process.argv.slice(2);
if (argv.includes('--help')) {
  console.log(BERT_USAGE);
  process.exit(0);
}
const args = parseBertArgs(argv);
if (typeof args === 'string') {
  console.error(`bert: ${args}\n\n${BERT_USAGE}`);
  process.exit(2);
}
const prog = `bert ${args.op}`;
/** The texts (arguments, then --file lines) and the folder's files (base64), once every check passed. */
function checked(a: BertArgs): { texts: string[]; files: Record<string, string> } {
  const texts = [...a.texts, ...(a.file ? textsOfFile(readTextFile(`--file ${a.file}`, a.file)) : [])];
  const { folder, files } = openBertFolderAt(a.dir, a.dir);
  if (a.op === 'fill-mask') bert.checkFillMask(folder, texts, a.topK);
  else if (a.op === 'classify') bert.checkClassify(folder, texts);
  else bert.checkSimilarity(folder, a.word, texts);
  delete files['optimizer.safetensors']; // inference needs the weights only
  return { texts, files: asBase64(files) };
}
let texts: string[] = [];
let files: Record<string, string> = {};
try {
  ({ texts, files } = checked(args));
} catch (e) {
  exitOnError(prog, e);
}
const req: BertCliRequest =
  args.op === 'fill-mask'
    ? { op: 'fill-mask', texts, topK: args.topK }
    : args.op === 'classify'
      ? { op: 'classify', texts }
      : { op: 'similarity', texts, word: args.word };

const env = await startBrowserEnv().catch((e: unknown) => exitOnError(prog, e));
let code = 0;
try {
  const { page, log } = await openPage(
    env.browser,
    `${env.url}/demos/bert/?cli=1`,
    process.env.SHADERGRAD_DEBUG !== undefined,
  );
  await page.waitForFunction(() => document.body?.dataset.ready !== undefined, null, { timeout: 120_000 });
  const err = await page.evaluate(() => document.body.dataset.error);
  if (err) throw new Error(`no WebGPU in the headless browser: ${err}`);
  const r = unwrap(await page.evaluate(([f, q]) => window.__bert.run(f, q), [files, req] as const));
  if (log.errors.length) throw new Error(`the page reported errors:\n${log.errors.join('\n')}`);
  if (args.json) console.log(JSON.stringify(r, null, 2));
  else if (args.op === 'fill-mask') {
    for (const t of r as bert.FillMaskOutput[]) {
      console.log(t.text);
      for (const m of t.masks) {
        console.log(`  [MASK] at position ${m.position}:`);
        for (const c of m.candidates)
          console.log(`    ${c.score.toFixed(4)}  ${c.token_str.padEnd(12)}  ${c.sequence}`);
      }
    }
  } else if (args.op === 'classify') {
    for (const c of r as bert.ClassifyOutput[]) console.log(`${c.label}\t${c.scores[c.label]!.toFixed(4)}\t${c.text}`);
  } else {
    const s = r as bert.SimilarityOutput;
    console.log(`cosine similarity of "${s.word}" in context:`);
    s.texts.forEach((t, i) => console.log(`  [${i}] ${t}`));
    console.log(`       ${s.texts.map((_, j) => `[${j}]`.padStart(7)).join('')}`);
    s.cosine.forEach((row, i) => console.log(`  [${i}]  ${row.map((x) => x.toFixed(3).padStart(7)).join('')}`));
  }
} catch (e) {
  code = reportError(prog, e);
} finally {
  await env.close();
}
process.exit(code);
