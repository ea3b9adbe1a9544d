// `npm run bert` end to end: scripts/train.ts trains a tiny BERT run, then scripts/bert.ts
// fill-mask, classify and similarity on its folders agree with a float64 forward of its files
// and with the run's own held-out predictions; bad texts and the wrong folder are refused in one
// line; the demo page loads the run's pretrained/ folder and gives the CLI's answer.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { openPage, startBrowserEnv } from '../scripts/lib/browser';
import { loadBertCheckpoint } from '../src/models/bert/hf';
import { WordPieceTokenizer } from '../src/text/wordpiece';
import { IGNORE, buildPretrainGraph } from '../src/models/bert/graph';
import { packPair, padBatch, softmaxRow, specialsOf } from '../src/models/bert/data';
import { evaluate } from '../src/graph/reference';
import type { ClassifyOutput, FillMaskOutput, SimilarityOutput } from '../src/models/bert/use';
import { script } from './harness/scripts';

const noGpu = process.env.SHADERGRAD_NO_GPU === '1';

// ---- npm run bert: fill-mask, classify and similarity on a run folder ----------------------------
function folder(dir: string): Record<string, Uint8Array> {
  return Object.fromEntries(
    ['model.safetensors', 'config.json', 'vocab.txt', 'tokenizer_config.json'].map((f) => [
      f,
      new Uint8Array(readFileSync(path.join(dir, f))),
    ]),
  );
}

/** float64 forward of a saved pretrained/ folder on one text: MLM probabilities (T, V) and final hidden states (T, D). */
function reference(
  dir: string,
  text: string,
): { ids: number[]; probs: (i: number) => number[]; hidden: (i: number) => number[]; tok: WordPieceTokenizer } {
  const ck = loadBertCheckpoint(folder(dir));
  const tok = WordPieceTokenizer.fromVocabTxt(ck.vocabTxt);
  const s = specialsOf(tok);
  const T = ck.cfg.maxPosition;
  const m = buildPretrainGraph({ ...ck.cfg, dropout: 0 }, 1, T);
  const { ids, segments } = packPair(tok.encode(text), null, T, s);
  const feeds = {
    ...padBatch([{ ids, segments }], T, s),
    labels: new Int32Array(T).fill(IGNORE),
    next_sentence_label: Int32Array.of(0),
  };
  const params = Object.fromEntries(Object.entries(ck.params).map(([k, v]) => [k, v.data]));
  const env = evaluate(m.g, [m.mlmLogits, m.hidden], feeds, params);
  const logits = env.get(m.mlmLogits)!;
  const h = env.get(m.hidden)!;
  const V = ck.cfg.vocabSize;
  const D = ck.cfg.hidden;
  return { ids, probs: (i) => softmaxRow(logits, i, V), hidden: (i) => Array.from(h.slice(i * D, (i + 1) * D)), tok };
}

test(
  "npm run bert: fill-mask, classify and similarity on a trained run match float64 and the run's own predictions; bad input is refused",
  { skip: noGpu && 'SHADERGRAD_NO_GPU=1', timeout: 900_000 },
  async () => {
    const out = mkdtempSync(path.join(tmpdir(), 'shadergrad-bert-'));
    try {
      const t = script(
        'train.ts',
        [
          'bert',
          '--steps',
          '4',
          '--finetune-steps',
          '4',
          '--vocab',
          '160',
          '--layers',
          '1',
          '--heads',
          '2',
          '--embd',
          '16',
          '--batch',
          '8',
          '--seed',
          '2',
          '--checkpoint-every',
          '2',
          '--out',
          out,
        ],
        600_000,
      );
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
        assert.deepEqual(
          g.masks.map((m) => m.position),
          maskAt,
          `${texts[n]}: mask positions`,
        );
        for (const m of g.masks) {
          const p = ref.probs(m.position);
          const kth = [...p].sort((a, b) => b - a)[3]!;
          assert.equal(m.candidates.length, 4);
          m.candidates.forEach((c, j) => {
            assert.ok(
              Math.abs(c.score - p[c.token]!) <= 1e-6 + 1e-4 * p[c.token]!,
              `${texts[n]} @${m.position}: ${c.token_str} ${c.score} vs float64 ${p[c.token]}`,
            );
            assert.ok(c.score >= kth - 1e-6, `${c.token_str} is not in the float64 top 4`);
            if (j > 0) assert.ok(c.score <= m.candidates[j - 1]!.score, 'sorted by score');
            assert.equal(c.token_str, ref.tok.idToToken(c.token));
            assert.ok(
              !c.sequence.includes('[MASK]') || g.masks.length > 1,
              `sequence "${c.sequence}" still has its mask`,
            );
          });
        }
      });

      // classify: the same P(positive) the run wrote to heldout.tsv for its held-out texts
      const held = readFileSync(path.join(out, 'heldout.tsv'), 'utf8')
        .trim()
        .split('\n')
        .slice(1, 7)
        .map((l) => l.split('\t'));
      const cl = script('bert.ts', ['classify', out, ...held.map((h) => h[2]!), '--json']);
      assert.equal(cl.status, 0, `classify exit ${cl.status}\n${cl.stderr}`);
      const cls = JSON.parse(cl.stdout) as ClassifyOutput[];
      cls.forEach((c, i) => {
        assert.deepEqual(Object.keys(c.scores), ['negative', 'positive']);
        assert.ok(
          Math.abs(c.scores.positive! - Number(held[i]![1])) <= 1e-5,
          `${c.text}: ${c.scores.positive} vs heldout.tsv ${held[i]![1]}`,
        );
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
        [
          ['fill-mask', out, `${'word '.repeat(40)}[MASK]`],
          /bert fill-mask: ".*" is \d+ word pieces, \d+ with \[CLS\] and \[SEP\]; the model has 32 positions/,
        ],
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
        await page.setInputFiles(
          '#load',
          ['model.safetensors', 'config.json', 'vocab.txt', 'tokenizer_config.json'].map((f) => path.join(pre, f)),
        );
        await page.waitForFunction(
          () => /loaded|not loaded/.test(document.getElementById('load-info')!.textContent ?? ''),
          null,
          { timeout: 120_000 },
        );
        assert.match(
          (await page.textContent('#load-info'))!,
          /^loaded BertForPreTraining: 1 layers, 2 heads, hidden 16, 32 positions, vocabulary \d+/,
        );
        await page.fill('#fill-text', texts[0]!);
        await page.click('#fill');
        await page.waitForFunction(() => (window.__demo as { fillMask?: unknown }).fillMask !== undefined, null, {
          timeout: 60_000,
        });
        const demo = (await page.evaluate(() => window.__demo.fillMask)) as {
          candidates: { tokenStr: string; score: number }[];
        }[];
        assert.equal(demo[0]!.candidates[0]!.tokenStr, got[0]!.masks[0]!.candidates[0]!.token_str);
        assert.ok(Math.abs(demo[0]!.candidates[0]!.score - got[0]!.masks[0]!.candidates[0]!.score) <= 1e-6);
        assert.deepEqual(log.errors, []);
      } finally {
        await env.close();
      }
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  },
);
