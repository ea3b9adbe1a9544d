// The CLIs end to end: `scripts/train.ts mlp` trains in headless Chromium and writes
// metrics.json and a checkpoint that parses; a bad argument exits 2 with the usage text; bad
// input (files, folders, flags that break a rule, prompts, texts) exits 2 with one line before
// the browser starts; `scripts/bert.ts` on a tiny trained BERT run agrees with a float64
// forward of its files.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, existsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ROOT, openPage, startBrowserEnv } from '../scripts/lib/browser';
import { parseCheckpoint, CHECKPOINT_FILES } from '../src/io/checkpoint';
import { loadBertCheckpoint } from '../src/io/bert_hf';
import { WordPieceTokenizer } from '../src/text/wordpiece';
import { IGNORE, buildPretrainGraph } from '../src/models/bert';
import { packPair, padBatch, softmaxRow } from '../src/models/bert_batch';
import { specialsOf } from '../src/models/bert_model';
import { evaluate } from '../src/graph/reference';
import type { ClassifyOutput, FillMaskOutput, SimilarityOutput } from '../src/models/bert_use';
import { bertFolderFiles, gptFolderFiles, writeFolder } from './harness/folders';

function train(args: string[], timeout = 90_000): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(ROOT, 'scripts/train.ts'), ...args], { cwd: ROOT, encoding: 'utf8', timeout });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const noGpu = process.env.SHADERGRAD_NO_GPU === '1';

test('train mlp writes metrics.json and a checkpoint that parses', { skip: noGpu && 'SHADERGRAD_NO_GPU=1', timeout: 120_000 }, () => {
  const out = mkdtempSync(path.join(tmpdir(), 'shadergrad-train-'));
  try {
    const r = train(['mlp', '--steps', '12', '--seed', '3', '--stop-loss', '0', '--out', out]);
    assert.equal(r.status, 0, `exit ${r.status}\n${r.stdout}\n${r.stderr}`);
    const m = JSON.parse(readFileSync(path.join(out, 'metrics.json'), 'utf8')) as Record<string, unknown>;
    assert.equal(m.model, 'mlp');
    assert.equal(m.steps, 12);
    assert.equal(m.seed, 3);
    for (const k of ['loss', 'accuracy', 'seconds'] as const) assert.ok(typeof m[k] === 'number' && Number.isFinite(m[k]), `${k} = ${m[k]}`);
    assert.ok((m.accuracy as number) >= 0 && (m.accuracy as number) <= 1);
    assert.ok(typeof m.adapter === 'string' && m.adapter.length > 0, `adapter ${m.adapter}`);
    const files = Object.fromEntries(CHECKPOINT_FILES.map((f) => [f, new Uint8Array(readFileSync(path.join(out, f)))]));
    const ck = parseCheckpoint(files);
    assert.deepEqual(Object.keys(ck.params).sort(), ['hidden.bias', 'hidden.weight', 'out.bias', 'out.weight']);
    assert.deepEqual([...ck.params['hidden.weight']!.shape], [2, 2]);
    assert.equal(ck.progress.step, 12);
    assert.equal(ck.optimizer.name, 'adam');
    assert.ok(ck.optimizer.slots['out.weight']?.m && ck.optimizer.slots['out.weight']?.v, 'Adam moments saved');
    assert.equal(ck.config.model, 'mlp');
    assert.match(r.stdout, /mlp: 12 steps, loss .*, accuracy .*%/);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

test('train gpt writes checkpoints during the run (--checkpoint-every), prints the baselines and records the browser', { skip: noGpu && 'SHADERGRAD_NO_GPU=1', timeout: 180_000 }, () => {
  const out = mkdtempSync(path.join(tmpdir(), 'shadergrad-gpt-'));
  rmSync(out, { recursive: true }); // --out must be new (or empty)
  try {
    const r = train(['gpt', '--steps', '5', '--checkpoint-every', '2', '--layers', '1', '--heads', '2', '--embd', '8', '--block', '16', '--batch', '2', '--out', out], 170_000);
    assert.equal(r.status, 0, `exit ${r.status}\n${r.stdout}\n${r.stderr}`);
    const m = JSON.parse(readFileSync(path.join(out, 'metrics.json'), 'utf8')) as Record<string, unknown>;
    assert.deepEqual(m.checkpoints_during_run, [2, 4]);
    assert.match(String(m.browser), /^Chromium \d+\.\d+\.\d+\.\d+ \((bundled|system|CHROMIUM_PATH) /);
    assert.match(r.stdout, /^val loss \d+\.\d{4} nats\/char; unigram baseline \d+\.\d{4} \(no context\); corpus floor 0\.10\d\d /m);
    assert.match(r.stderr, /^browser: Chromium /m);
    for (const f of ['model.safetensors', 'optimizer.safetensors', 'config.json', 'tokenizer.json']) assert.ok(existsSync(path.join(out, f)), f);
    assert.ok(!existsSync(path.join(out, 'model.safetensors.partial')), 'no partial file left');
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

test('a bad argument exits 2 with the usage text and writes nothing', () => {
  const out = path.join(tmpdir(), `shadergrad-never-${process.pid}`);
  for (const args of [['mlp', '--steps', 'many'], ['lstm'], ['mlp', '--frobnicate']]) {
    const r = train([...args, '--out', out], 30_000);
    assert.equal(r.status, 2, `${args.join(' ')}: exit ${r.status}\n${r.stderr}`);
    assert.match(r.stderr, /^train: /);
    assert.match(r.stderr, /usage: npm run train -- <perceptron\|mlp/);
  }
  assert.ok(!existsSync(out), 'no output folder');
});

function script(name: string, args: string[], timeout = 300_000): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(ROOT, 'scripts', name), ...args], { cwd: ROOT, encoding: 'utf8', timeout });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

// ---- bad input: refused before the browser starts, one line, exit 2 -------------------------------
test('bad input to train, generate and bert: one line naming it, exit 2, no stack, nothing written', () => {
  const tmp = mkdtempSync(path.join(tmpdir(), 'shadergrad-bad-'));
  const gpt = writeFolder(gptFolderFiles());
  const broken = writeFolder({ ...gptFolderFiles(), 'model.safetensors': gptFolderFiles()['model.safetensors']!.slice(0, 300) });
  const bert = writeFolder(bertFolderFiles(), 'pretrained');
  try {
    const put = (name: string, content: string | Uint8Array): string => (writeFileSync(path.join(tmp, name), content), path.join(tmp, name));
    const binary = put('random.bin', Uint8Array.from({ length: 3000 }, (_, i) => (i * 2654435761) >>> 24));
    const short = put('short.txt', 'hello world\n');
    const labels = put('labels.tsv', '1\tgood\n0\tbad\nyes\tfine\n');
    const out = path.join(tmp, 'never');
    const cases: [string, string[], RegExp][] = [
      ['train.ts', ['gpt', '--embd', '66', '--heads', '4', '--out', out], /^train: gpt: embd 66 is not divisible by heads 4$/],
      ['train.ts', ['gpt', '--corpus', binary, '--out', out], /^train: --corpus .*random\.bin: a binary file, not text \(a NUL byte at offset \d+\)$/],
      ['train.ts', ['gpt', '--corpus', short, '--out', out], /^train: --corpus .*short\.txt: gpt: the text is 12 characters; .* give a text of at least \d+ characters or a smaller --block$/],
      ['train.ts', ['gpt', '--out', labels], /^train: --out .*labels\.tsv: a file is there, not a folder$/],
      ['train.ts', ['bert', '--labels', labels, '--out', out], /^train: --labels .*labels\.tsv:3: label "yes" is not 0 or 1$/],
      ['generate.ts', [broken, '--prompt', 'the'], /^generate: .*: model\.safetensors: safetensors: /],
      ['generate.ts', [gpt, '--prompt', 'The cat!'], /^generate: --prompt has 2 characters the tokenizer's vocabulary lacks .*"T" \(U\+0054\) at 0, "!" \(U\+0021\) at 7$/],
      ['bert.ts', ['fill-mask', bert, 'no mask here'], /^bert fill-mask: "no mask here" has no \[MASK\]/],
      ['bert.ts', ['classify', path.join(bert, 'pretrained'), 'a good film'], /^bert classify: the checkpoint has no classification head/],
    ];
    for (const [name, args, re] of cases) {
      const r = script(name, args, 60_000);
      const what = `${name} ${args.join(' ')}`;
      assert.equal(r.status, 2, `${what}: exit ${r.status}\n${r.stderr}`);
      assert.match(r.stderr.trim(), re, what);
      assert.equal(r.stderr.trim().split('\n').length, 1, `${what}: one line\n${r.stderr}`);
      assert.ok(!r.stderr.includes('    at '), `${what}: no stack trace`);
    }
    assert.ok(!existsSync(out), 'no output folder');
  } finally {
    for (const d of [tmp, gpt, broken, bert]) rmSync(d, { recursive: true, force: true });
  }
});

// ---- npm run bert: fill-mask, classify and similarity on a run folder ----------------------------
function folder(dir: string): Record<string, Uint8Array> {
  return Object.fromEntries(['model.safetensors', 'config.json', 'vocab.txt', 'tokenizer_config.json'].map((f) => [f, new Uint8Array(readFileSync(path.join(dir, f)))]));
}

/** float64 forward of a saved pretrained/ folder on one text: MLM probabilities (T, V) and final hidden states (T, D). */
function reference(dir: string, text: string): { ids: number[]; probs: (i: number) => number[]; hidden: (i: number) => number[]; tok: WordPieceTokenizer } {
  const ck = loadBertCheckpoint(folder(dir));
  const tok = WordPieceTokenizer.fromVocabTxt(ck.vocabTxt);
  const s = specialsOf(tok);
  const T = ck.cfg.maxPosition;
  const m = buildPretrainGraph({ ...ck.cfg, dropout: 0 }, 1, T);
  const { ids, segments } = packPair(tok.encode(text), null, T, s);
  const feeds = { ...padBatch([{ ids, segments }], T, s), labels: new Int32Array(T).fill(IGNORE), next_sentence_label: Int32Array.of(0) };
  const params = Object.fromEntries(Object.entries(ck.params).map(([k, v]) => [k, v.data]));
  const env = evaluate(m.g, [m.mlmLogits, m.hidden], feeds, params);
  const logits = env.get(m.mlmLogits)!;
  const h = env.get(m.hidden)!;
  const V = ck.cfg.vocabSize;
  const D = ck.cfg.hidden;
  return { ids, probs: (i) => softmaxRow(logits, i, V), hidden: (i) => Array.from(h.slice(i * D, (i + 1) * D)), tok };
}

test('npm run bert: fill-mask, classify and similarity on a trained run match float64 and the run\'s own predictions; bad input is refused', { skip: noGpu && 'SHADERGRAD_NO_GPU=1', timeout: 900_000 }, async () => {
  const out = mkdtempSync(path.join(tmpdir(), 'shadergrad-bert-'));
  try {
    const t = script('train.ts', ['bert', '--steps', '4', '--finetune-steps', '4', '--vocab', '160', '--layers', '1', '--heads', '2', '--embd', '16', '--batch', '8', '--seed', '2', '--checkpoint-every', '2', '--out', out], 600_000);
    assert.equal(t.status, 0, `train exit ${t.status}\n${t.stdout}\n${t.stderr}`);
    const pre = path.join(out, 'pretrained');
    const run = JSON.parse(readFileSync(path.join(out, 'metrics.json'), 'utf8')) as Record<string, unknown>;
    assert.deepEqual(run.checkpoints_during_run, [2], 'pretrained/ written at step 2 of 4 (--checkpoint-every 2)');

    // fill-mask: the page's top-k are the float64 model's top-k, with its probabilities
    const texts = ['the [MASK] of the river was covered in grass.', '[MASK] went to the bank to ask about a [MASK].'];
    const fm = script('bert.ts', ['fill-mask', out, ...texts, '--top-k', '4', '--json']);
    assert.equal(fm.status, 0, `fill-mask exit ${fm.status}\n${fm.stderr}`);
    const got = JSON.parse(fm.stdout) as FillMaskOutput[];
    assert.equal(got.length, 2);
    got.forEach((g, n) => {
      const ref = reference(pre, texts[n]!);
      const maskAt = ref.ids.flatMap((id, i) => (id === ref.tok.maskId ? [i] : []));
      assert.deepEqual(g.masks.map((m) => m.position), maskAt, `${texts[n]}: mask positions`);
      for (const m of g.masks) {
        const p = ref.probs(m.position);
        const kth = [...p].sort((a, b) => b - a)[3]!;
        assert.equal(m.candidates.length, 4);
        m.candidates.forEach((c, j) => {
          assert.ok(Math.abs(c.score - p[c.token]!) <= 1e-6 + 1e-4 * p[c.token]!, `${texts[n]} @${m.position}: ${c.token_str} ${c.score} vs float64 ${p[c.token]}`);
          assert.ok(c.score >= kth - 1e-6, `${c.token_str} is not in the float64 top 4`);
          if (j > 0) assert.ok(c.score <= m.candidates[j - 1]!.score, 'sorted by score');
          assert.equal(c.token_str, ref.tok.idToToken(c.token));
          assert.ok(!c.sequence.includes('[MASK]') || g.masks.length > 1, `sequence "${c.sequence}" still has its mask`);
        });
      }
    });

    // classify: the same P(positive) the run wrote to heldout.tsv for its held-out texts
    const held = readFileSync(path.join(out, 'heldout.tsv'), 'utf8').trim().split('\n').slice(1, 7).map((l) => l.split('\t'));
    const cl = script('bert.ts', ['classify', out, ...held.map((h) => h[2]!), '--json']);
    assert.equal(cl.status, 0, `classify exit ${cl.status}\n${cl.stderr}`);
    const cls = JSON.parse(cl.stdout) as ClassifyOutput[];
    cls.forEach((c, i) => {
      assert.deepEqual(Object.keys(c.scores), ['negative', 'positive']);
      assert.ok(Math.abs(c.scores.positive! - Number(held[i]![1])) <= 1e-5, `${c.text}: ${c.scores.positive} vs heldout.tsv ${held[i]![1]}`);
      assert.ok(Math.abs(c.scores.positive! + c.scores.negative! - 1) <= 1e-6);
      assert.equal(c.label, c.scores.positive! > c.scores.negative! ? 'positive' : 'negative');
    });

    // similarity: the cosine of the float64 contextual vectors
    const pair = ['we sat on the bank and watched the fish.', 'anna went to the bank to ask about a loan.'];
    const sm = script('bert.ts', ['similarity', out, '--word', 'bank', ...pair, '--json']);
    assert.equal(sm.status, 0, `similarity exit ${sm.status}\n${sm.stderr}`);
    const sim = JSON.parse(sm.stdout) as SimilarityOutput;
    const vec = pair.map((p) => {
      const ref = reference(pre, p);
      const at = ref.ids.indexOf(ref.tok.encode('bank')[0]!);
      return ref.hidden(at);
    });
    const dot = (a: number[], b: number[]): number => a.reduce((acc, x, i) => acc + x * b[i]!, 0);
    const cos = dot(vec[0]!, vec[1]!) / Math.sqrt(dot(vec[0]!, vec[0]!) * dot(vec[1]!, vec[1]!));
    assert.ok(Math.abs(sim.cosine[0]![1]! - cos) <= 1e-4, `cosine ${sim.cosine[0]![1]} vs float64 ${cos}`);
    assert.ok(Math.abs(sim.cosine[0]![0]! - 1) <= 1e-5 && Math.abs(sim.cosine[1]![0]! - sim.cosine[0]![1]!) <= 1e-7);

    // bad input (a text, the wrong folder for the op): named in one line, exit 2, before the browser starts
    const refusals: [string[], RegExp][] = [
      [['fill-mask', out, 'no mask here'], /bert fill-mask: "no mask here" has no \[MASK\]/],
      [['fill-mask', out, `${'word '.repeat(40)}[MASK]`], /bert fill-mask: ".*" is \d+ word pieces, \d+ with \[CLS\] and \[SEP\]; the model has 32 positions/],
      [['fill-mask', path.join(out, 'classifier'), 'a [MASK]'], /no masked-LM head/],
      [['classify', pre, 'good'], /no classification head/],
      [['similarity', out, '--word', 'bank', 'a bank', 'no such word'], /"bank" does not occur in "no such word"/],
    ];
    for (const [args, re] of refusals) {
      const r = script('bert.ts', args);
      assert.equal(r.status, 2, `${args.join(' ')}: exit ${r.status}\n${r.stderr}`);
      assert.match(r.stderr, re);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    }
    const usage = script('bert.ts', ['fill-mask', out]);
    assert.equal(usage.status, 2);
    assert.match(usage.stderr, /^bert: no text given[\s\S]*usage: npm run bert -- fill-mask/);

    // the demo page loads the run's pretrained/ folder and fills the mask with the CLI's answer
    const env = await startBrowserEnv();
    try {
      const { page, log } = await openPage(env.browser, `${env.url}/demos/bert/`);
      await page.waitForFunction(() => document.body?.dataset.ready !== undefined, null, { timeout: 120_000 });
      await page.setInputFiles('#load', ['model.safetensors', 'config.json', 'vocab.txt', 'tokenizer_config.json'].map((f) => path.join(pre, f)));
      await page.waitForFunction(() => /loaded|not loaded/.test(document.getElementById('load-info')!.textContent ?? ''), null, { timeout: 120_000 });
      assert.match((await page.textContent('#load-info'))!, /^loaded BertForPreTraining: 1 layers, 2 heads, hidden 16, 32 positions, vocabulary \d+/);
      await page.fill('#fill-text', texts[0]!);
      await page.click('#fill');
      await page.waitForFunction(() => (window.__demo as { fillMask?: unknown }).fillMask !== undefined, null, { timeout: 60_000 });
      const demo = (await page.evaluate(() => window.__demo.fillMask)) as { candidates: { tokenStr: string; score: number }[] }[];
      assert.equal(demo[0]!.candidates[0]!.tokenStr, got[0]!.masks[0]!.candidates[0]!.token_str);
      assert.ok(Math.abs(demo[0]!.candidates[0]!.score - got[0]!.masks[0]!.candidates[0]!.score) <= 1e-6);
      assert.deepEqual(log.errors, []);
    } finally {
      await env.close();
    }
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
