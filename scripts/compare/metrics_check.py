"""Compare src/eval's BLEU, chrF and 13a tokenizer with sacreBLEU on seeded sentence pairs.

Usage (sacrebleu 2.x in the interpreter, run from anywhere):
    python scripts/compare/metrics_check.py [--pairs 300] [--seed 0]

Builds random sentences from a small vocabulary that exercises the 13a rules (punctuation,
digits with "." "," "-", HTML entities, mixed case, non-ASCII letters), scores them with
sacreBLEU and with our TypeScript side (run through `npx tsx`, which prints JSON), and prints the
largest absolute difference of each quantity. Exits 1 if any difference exceeds 1e-9 (scores on
the 0-100 scale) or any token list differs. ROUGE is not checked: rouge-score is not installed.
"""

import argparse
import json
import logging
import os
import random
import subprocess
import sys
import tempfile

import sacrebleu
from sacrebleu.metrics import CHRF
from sacrebleu.tokenizers.tokenizer_13a import Tokenizer13a

logging.getLogger("sacrebleu").setLevel(logging.ERROR)  # its per-sentence effective_order advice
ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
WORDS = (
    "the The cat dog sat on a mat garden is playing plays in of and to it's don't "
    "3.14 1,000 10-20 2- well-known e.g. U.S. (hi) [x] {y} 'quote' \"q\" &amp; &lt;b&gt; &quot; "
    "café naïve Straße über ! ? ; : , . - -- / $5 50% #tag @me a+b x=y <skipped>"
).split()

DRIVER = r"""
import { readFileSync } from 'node:fs';
import { evaluation as E } from '%s';
const cases = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const out: Record<string, unknown> = {};
for (const [name, c] of Object.entries<any>(cases)) {
  if (c.kind === 'bleu') out[name] = E.corpusBleu(c.hyps, c.refs, c.opts);
  else if (c.kind === 'sbleu') out[name] = c.hyps.map((h: string, i: number) => E.sentenceBleu(h, c.refs[i], c.opts).score);
  else if (c.kind === 'chrf') out[name] = E.corpusChrf(c.hyps, c.refs, c.opts).score;
  else if (c.kind === 'schrf') out[name] = c.hyps.map((h: string, i: number) => E.sentenceChrf(h, c.refs[i], c.opts).score);
  else if (c.kind === 'tok') out[name] = c.lines.map((l: string) => E.tokenize13a(l));
}
console.log(JSON.stringify(out));
"""


def sentence(rng, lo=0, hi=14):
    return " ".join(rng.choice(WORDS) for _ in range(rng.randint(lo, hi)))


def perturb(rng, s):
    """A hypothesis-like variant: drop, swap, or replace some words."""
    w = s.split()
    out = [rng.choice(WORDS) if rng.random() < 0.25 else x for x in w if rng.random() > 0.15]
    if len(out) > 2 and rng.random() < 0.5:
        i = rng.randrange(len(out) - 1)
        out[i], out[i + 1] = out[i + 1], out[i]
    return " ".join(out + [rng.choice(WORDS) for _ in range(rng.randint(0, 3))])


def ours(cases):
    with tempfile.TemporaryDirectory() as d:
        driver = os.path.join(d, "driver.ts")
        data = os.path.join(d, "cases.json")
        with open(driver, "w") as f:
            f.write(DRIVER % os.path.join(ROOT, "src", "index.ts").replace("\\", "/"))
        with open(data, "w") as f:
            json.dump(cases, f)
        res = subprocess.run(["npx", "tsx", driver, data], cwd=ROOT, capture_output=True, text=True, check=True)
        return json.loads(res.stdout)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--pairs", type=int, default=300)
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    rng = random.Random(a.seed)
    refs1 = [sentence(rng, 1) for _ in range(a.pairs)]
    hyps = [perturb(rng, r) for r in refs1]
    refs3 = [[r, perturb(rng, r), sentence(rng, 1)] for r in refs1]
    streams3 = [list(s) for s in zip(*refs3)]  # sacreBLEU takes one list per reference stream
    one = [[r] for r in refs1]

    cases, theirs = {}, {}

    def bleu(name, refs, streams, **kw):
        opts = {"smooth": kw.get("smooth_method", "exp"), "lowercase": kw.get("lowercase", False),
                "tokenize": kw.get("tokenize", "13a")}
        cases[name] = {"kind": "bleu", "hyps": hyps, "refs": refs, "opts": opts}
        b = sacrebleu.corpus_bleu(hyps, streams, **kw)
        theirs[name] = {"score": b.score, "precisions": b.precisions, "bp": b.bp, "sysLen": b.sys_len,
                        "refLen": b.ref_len}

    for sm in ["exp", "none", "floor", "add-k"]:
        bleu(f"bleu-{sm}", one, [refs1], smooth_method=sm)
        bleu(f"bleu3-{sm}", refs3, streams3, smooth_method=sm)
    bleu("bleu-lc", one, [refs1], lowercase=True)
    bleu("bleu-none-tok", refs3, streams3, tokenize="none")
    cases["sbleu"] = {"kind": "sbleu", "hyps": hyps, "refs": refs3, "opts": {"effectiveOrder": True}}
    theirs["sbleu"] = [sacrebleu.sentence_bleu(h, r).score for h, r in zip(hyps, refs3)]
    for sm in ["exp", "none", "floor", "add-k"]:  # sentence level, all orders: smoothing matters here
        cases[f"sbleu-{sm}"] = {"kind": "sbleu", "hyps": hyps, "refs": one, "opts": {"smooth": sm}}
        theirs[f"sbleu-{sm}"] = [sacrebleu.sentence_bleu(h, r, smooth_method=sm, use_effective_order=False).score
                                 for h, r in zip(hyps, one)]

    for name, kw, opts in [
        ("chrf", {}, {}),
        ("chrf++", {"word_order": 2}, {"wordOrder": 2}),
        ("chrf-eps", {"eps_smoothing": True}, {"epsSmoothing": True}),
        ("chrf-ws-lc", {"whitespace": True, "lowercase": True}, {"whitespace": True, "lowercase": True}),
    ]:
        cases[name] = {"kind": "chrf", "hyps": hyps, "refs": one, "opts": opts}
        theirs[name] = CHRF(**kw).corpus_score(hyps, [refs1]).score
        cases[name + "-3"] = {"kind": "chrf", "hyps": hyps, "refs": refs3, "opts": opts}
        theirs[name + "-3"] = CHRF(**kw).corpus_score(hyps, streams3).score
    cases["schrf++"] = {"kind": "schrf", "hyps": hyps, "refs": refs3, "opts": {"wordOrder": 2}}
    theirs["schrf++"] = [CHRF(word_order=2).sentence_score(h, r).score for h, r in zip(hyps, refs3)]

    lines = hyps + refs1 + ["a-\nb", "x\ny", "3.14, 1,000.5 a.b 2-3 -4 &amp;lt; Mr. O'Neil's (test)."]
    cases["tok"] = {"kind": "tok", "lines": lines}
    tok = Tokenizer13a()
    theirs["tok"] = [tok(l).split() for l in lines]

    got = ours(cases)
    worst, bad = 0.0, False
    for name, want in theirs.items():
        have = got[name]
        if name == "tok":
            diff = sum(x != y for x, y in zip(have, want)) + abs(len(have) - len(want))
            print(f"{name:16s} {len(want)} lines, {diff} token lists differ")
            bad |= diff > 0
            continue
        if isinstance(want, dict):
            d = max(abs(have[k] - want[k]) if k != "precisions" else max(abs(x - y) for x, y in
                    zip(have[k], want[k])) for k in want)
            print(f"{name:16s} ours {have['score']:.6f} sacreBLEU {want['score']:.6f} max |diff| {d:.3e}")
        elif isinstance(want, list):
            d = max(abs(x - y) for x, y in zip(have, want))
            print(f"{name:16s} {len(want)} sentences, max |diff| {d:.3e}")
        else:
            d = abs(have - want)
            print(f"{name:16s} ours {have:.6f} sacreBLEU {want:.6f} |diff| {d:.3e}")
        worst = max(worst, d)
    print(f"sacrebleu {sacrebleu.__version__}, {a.pairs} pairs, seed {a.seed}: max |diff| {worst:.3e}")
    sys.exit(1 if bad or worst > 1e-9 else 0)


if __name__ == "__main__":
    main()
