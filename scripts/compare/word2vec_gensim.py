#!/usr/bin/env python3
"""Compare our word2vec vectors with gensim's Word2Vec trained on the same text.

What it does
    1. Tokenizes --corpus exactly as src/text/words.ts does (a line is a sentence; lowercase;
       words are runs of letters/digits joined by inner apostrophes, ’ written as '; sentences
       cut every 1000 in-vocabulary words) and checks that the resulting vocabulary, in our order
       (count descending, ties by word), is the one in each of our vectors.txt files.
    2. Trains gensim's Word2Vec on those sentences with our hyperparameters (read from the
       "knobs" of our metrics.json; flags fill in what is missing): sg, vector_size, window,
       negative, epochs, min_count, sample, alpha, min_alpha = alpha·1e-4 (our learning-rate
       floor), hs=0, cbow_mean=1, workers=1, one run per --gensim-seeds seed.
    3. For every pair of runs (gensim–gensim, ours–gensim, ours–ours) measures
         • overlap@K: for each of the --top-nn most frequent words, the share of its K nearest
           neighbours (cosine, whole vocabulary, the word itself excluded) that both runs agree on,
           averaged over the words;
         • Spearman ρ between the two runs' cosine similarities over --pairs random word pairs
           among the --top-sim most frequent words (drawn once with --pair-seed);
       prints a table and says whether ours–gensim lies within the gensim–gensim spread (on both
       measures, the mean over ours–gensim pairs is at least the lowest gensim–gensim pair), and
       writes everything to --json.

How to run (our runs first, one after another; each takes minutes on SwiftShader):
    npm run train -- word2vec --corpus FILE --out /tmp/w2v/sg1 --seed 1
    npm run train -- word2vec --corpus FILE --out /tmp/w2v/sg2 --seed 2
    /usr/bin/python3 scripts/compare/word2vec_gensim.py --corpus FILE \\
        --ours /tmp/w2v/sg1 /tmp/w2v/sg2 --json /tmp/w2v/compare_sg.json

What it needs
    Python 3 with numpy, scipy and gensim 4.x (Debian: python3-gensim; use /usr/bin/python3 where
    a pyenv python3 shadows it). Nothing is downloaded. The corpus is an argument: the project
    does not ship one.
"""
import argparse
import itertools
import json
import re
import sys
import time
from pathlib import Path

import numpy as np

MAX_SENTENCE = 1000  # src/text/words.ts MAX_SENTENCE (word2vec.c's MAX_SENTENCE_LENGTH)
MAX_LINE_CHARS = 1 << 20  # LineSplitter's carry bound: longer lines are cut there; not mirrored here
# [\p{L}\p{N}] in Python's re: a Unicode word character that is not '_' (same set up to the
# Unicode version of the two runtimes; the vocabulary check below catches any difference).
WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")

# our knob name → (flag, type); "mode" is skipgram|cbow
KNOBS = {
    'mode': str, 'dim': int, 'window': int, 'negative': int, 'epochs': int,
    'minCount': int, 'sample': float, 'alpha': float,
}


def tokenize_line(line):
    """src/text/words.ts tokenizeLine: lowercase, words, ’ → '."""
    return [w.replace('’', "'") for w in WORD.findall(line.lower())]


def read_lines(path):
    # newline='' keeps '\r' inside lines, as the TS side splits on '\n' only
    with open(path, encoding='utf-8', errors='replace', newline='') as f:
        text = f.read()
    lines = text.split('\n')
    if lines and lines[-1] == '':
        lines.pop()
    long = sum(len(line) > MAX_LINE_CHARS for line in lines)
    if long:
        sys.exit(f'{path}: {long} line(s) longer than {MAX_LINE_CHARS} characters; the TS reader cuts those at a space, which this script does not mirror')
    return [tokenize_line(line) for line in lines]


def js_order_key(item):
    """Vocab.fromCounts order: count descending, then word by UTF-16 code units (JS `<`)."""
    word, count = item
    return (-count, word.encode('utf-16-be'))


def build_vocab(token_lines, min_count):
    counts = {}
    for toks in token_lines:
        for w in toks:
            counts[w] = counts.get(w, 0) + 1
    kept = sorted(((w, c) for w, c in counts.items() if c >= min_count), key=js_order_key)
    return [w for w, _ in kept], sum(counts.values()), sum(c for _, c in kept)


def cut_sentences(token_lines, vocab):
    """src/text/words.ts sentences(): cut every MAX_SENTENCE in-vocabulary words. Unlike ours, the
    out-of-vocabulary tokens stay in (gensim drops them itself and counts them for its alpha)."""
    out = []
    for toks in token_lines:
        cur, n = [], 0
        for w in toks:
            cur.append(w)
            if w in vocab:
                n += 1
                if n == MAX_SENTENCE:
                    out.append(cur)
                    cur, n = [], 0
        if n > 0:
            out.append(cur)
    return out


def load_ours(folder):
    folder = Path(folder)
    metrics = json.loads((folder / 'metrics.json').read_text())
    with open(folder / 'vectors.txt', encoding='utf-8') as f:
        V, D = map(int, f.readline().split())
        words, rows = [], np.empty((V, D), dtype=np.float32)
        for i, line in enumerate(f):
            parts = line.rstrip('\n').split(' ')
            words.append(parts[0])
            rows[i] = np.asarray(parts[1:1 + D], dtype=np.float32)
    if len(words) != V:
        sys.exit(f'{folder}/vectors.txt: header says {V} words, found {len(words)}')
    return {'name': folder.name, 'kind': 'ours', 'words': words, 'vectors': rows, 'metrics': metrics}


def resolve_hparams(ours, args):
    """Hyperparameters from our metrics.json knobs (all runs must agree except the seed), else flags."""
    hp = {}
    for k in KNOBS:
        flag = getattr(args, k)
        vals = {json.dumps(r['metrics'].get('knobs', {}).get(k)) for r in ours}
        vals.discard('null')
        if len(vals) > 1:
            sys.exit(f'our runs disagree on {k}: {sorted(vals)}')
        v = json.loads(vals.pop()) if vals else None
        if v is not None and flag is not None and KNOBS[k](flag) != v:
            sys.exit(f'--{k} {flag} contradicts metrics.json ({v})')
        v = v if v is not None else flag
        if v is None:
            sys.exit(f'{k}: not in metrics.json knobs; pass --{k}')
        hp[k] = KNOBS[k](v)
    batches = {r['metrics'].get('knobs', {}).get('batch') for r in ours}
    if len(batches) > 1:
        sys.exit(f'our runs use different --batch values {sorted(map(str, batches))}: compare one batch size at a time')
    hp['batch'] = batches.pop() if batches else None
    return hp


def train_gensim(sentences, hp, seed):
    from gensim.models import Word2Vec
    t0 = time.perf_counter()
    m = Word2Vec(
        sentences=sentences, sg=1 if hp['mode'] == 'skipgram' else 0, hs=0, cbow_mean=1,
        vector_size=hp['dim'], window=hp['window'], negative=hp['negative'], ns_exponent=0.75,
        epochs=hp['epochs'], min_count=hp['minCount'], sample=hp['sample'],
        alpha=hp['alpha'], min_alpha=hp['alpha'] * 1e-4, workers=1, seed=seed,
    )
    secs = time.perf_counter() - t0
    return m.wv, secs


def unit_rows(x):
    n = np.linalg.norm(x, axis=1, keepdims=True)
    return x / np.maximum(n, 1e-12)


def neighbours(u, queries, k):
    """(Q, k) indices of each query's k nearest words by cosine, the query excluded."""
    sims = u[queries] @ u.T
    sims[np.arange(len(queries)), queries] = -np.inf
    return np.argpartition(-sims, k, axis=1)[:, :k]


def spearman(a, b):
    from scipy.stats import spearmanr
    return float(spearmanr(a, b).correlation)


def compare(runs, k, top_nn, pairs):
    units = [unit_rows(r['vectors'].astype(np.float64)) for r in runs]
    queries = np.arange(top_nn)
    nn = [neighbours(u, queries, k) for u in units]
    i, j = pairs
    cos = [np.einsum('nd,nd->n', u[i], u[j]) for u in units]
    rows = []
    for a, b in itertools.combinations(range(len(runs)), 2):
        kinds = sorted((runs[a]['kind'], runs[b]['kind']), key=lambda s: s != 'ours')
        group = '–'.join(kinds) if kinds[0] != kinds[1] else f'{kinds[0]}–{kinds[1]}'
        overlap = np.mean([len(set(x) & set(y)) / k for x, y in zip(nn[a], nn[b])])
        rows.append({'group': group, 'a': runs[a]['name'], 'b': runs[b]['name'],
                     'overlap': float(overlap), 'spearman': spearman(cos[a], cos[b])})
    return rows


def summarize(rows):
    out = {}
    for g in ('gensim–gensim', 'ours–gensim', 'ours–ours'):
        sel = [r for r in rows if r['group'] == g]
        if not sel:
            continue
        s = {'pairs': len(sel)}
        for m in ('overlap', 'spearman'):
            v = np.array([r[m] for r in sel])
            s[m] = {'mean': float(v.mean()), 'min': float(v.min()), 'max': float(v.max())}
        out[g] = s
    return out


def verdict(summary):
    gg, og = summary.get('gensim–gensim'), summary.get('ours–gensim')
    if not gg or not og:
        return None, 'need at least two gensim runs and one of ours for a verdict'
    lines, ok = [], True
    for m in ('overlap', 'spearman'):
        lo = gg[m]['min']
        within = og[m]['mean'] >= lo
        ok &= within
        lines.append(f"{m}: ours–gensim mean {og[m]['mean']:.3f} vs gensim–gensim {gg[m]['mean']:.3f} "
                     f"(spread {gg[m]['min']:.3f}–{gg[m]['max']:.3f}): "
                     + ('within or above the spread' if within else f'BELOW the spread by {lo - og[m]["mean"]:.3f}'))
    head = ('ours vs gensim IS within the gensim-vs-gensim spread on both measures' if ok
            else 'ours vs gensim is NOT within the gensim-vs-gensim spread')
    return ok, '\n'.join([head] + lines)


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--corpus', required=True, help='the UTF-8 text our runs were trained on')
    p.add_argument('--ours', nargs='*', default=[], help='our output folders (vectors.txt + metrics.json)')
    p.add_argument('--gensim-seeds', default='1,2,3,4,5', help='comma-separated seeds of the gensim runs (≥ 2 for a spread)')
    p.add_argument('--k', type=int, default=10, help='neighbours per word for overlap@k')
    p.add_argument('--top-nn', type=int, default=1000, help='query words for overlap@k: the most frequent N')
    p.add_argument('--top-sim', type=int, default=2000, help='pairs for Spearman are drawn among the most frequent N words')
    p.add_argument('--pairs', type=int, default=20000, help='random word pairs for the Spearman correlation')
    p.add_argument('--pair-seed', type=int, default=0, help='seed of the word-pair draw')
    p.add_argument('--json', help='write the full result here')
    for k, t in KNOBS.items():
        p.add_argument(f'--{k}', type=t, help='used when metrics.json has no knobs' + (' (skipgram|cbow)' if k == 'mode' else ''))
    return p.parse_args()


def prepare(args):
    """Our runs, the hyperparameters, and the corpus as gensim will see it (vocabulary checked)."""
    ours = [load_ours(d) for d in args.ours]
    if ours:
        hp = resolve_hparams(ours, args)
    else:
        hp = {k: getattr(args, k) for k in KNOBS}
        missing = [k for k, v in hp.items() if v is None]
        if missing:
            sys.exit(f'without --ours, pass every hyperparameter: missing {missing}')
        hp['batch'] = None
    token_lines = read_lines(args.corpus)
    vocab, corpus_words, vocab_words = build_vocab(token_lines, hp['minCount'])
    for r in ours:
        if r['words'] != vocab:
            diff = sorted(set(r['words']) ^ set(vocab))
            what = f'differs in {len(diff)} words, e.g. {diff[:10]}' if diff else 'has the same words in another order'
            sys.exit(f'{r["name"]}/vectors.txt: vocabulary {what}: tokenization mismatch')
    sentences = cut_sentences(token_lines, {w: i for i, w in enumerate(vocab)})
    print(f'corpus {args.corpus}: {corpus_words} words ({vocab_words} in the vocabulary), {len(sentences)} sentences, '
          f'vocabulary {len(vocab)} (min-count {hp["minCount"]}), same as our {len(ours)} run(s)')
    print('hyperparameters: ' + ', '.join(f'{k}={v}' for k, v in hp.items()))
    return ours, hp, vocab, sentences, {'corpus_words': corpus_words, 'vocab': len(vocab), 'vocab_words': vocab_words}


def gensim_runs(seeds, sentences, hp, vocab, vocab_words):
    runs = []
    for s in seeds:
        wv, secs = train_gensim(sentences, hp, s)
        if set(wv.index_to_key) != set(vocab):
            sys.exit(f'gensim seed {s}: vocabulary differs from ours ({len(wv.index_to_key)} vs {len(vocab)} words)')
        vecs = wv.vectors[[wv.key_to_index[w] for w in vocab]]
        wps = hp['epochs'] * vocab_words / secs  # in-vocabulary words, as our metrics.json counts them
        runs.append({'name': f'gensim{s}', 'kind': 'gensim', 'vectors': vecs, 'seconds': secs, 'words_per_sec': wps})
        print(f'gensim seed {s}: {secs:.1f} s ({wps:,.0f} words/s, 1 worker)')
    return runs


def report(args, rows, summary, text, ours, top_nn, top_sim):
    print(f'\noverlap@{args.k} over the top {top_nn} words; Spearman over {args.pairs} pairs among the top {top_sim}')
    print(f'{"pair":<28} {"overlap@" + str(args.k):>10} {"spearman":>9}')
    for r in rows:
        print(f'{r["a"] + " – " + r["b"]:<28} {r["overlap"]:>10.3f} {r["spearman"]:>9.3f}')
    print(f'\n{"group":<16} {"pairs":>5} {"overlap mean (min–max)":>24} {"spearman mean (min–max)":>25}')
    for g, s in summary.items():
        o, c = s['overlap'], s['spearman']
        print(f'{g:<16} {s["pairs"]:>5} {o["mean"]:>8.3f} ({o["min"]:.3f}–{o["max"]:.3f}) {c["mean"]:>9.3f} ({c["min"]:.3f}–{c["max"]:.3f})')
    print('\n' + text)
    for r in ours:
        m = r['metrics']
        print(f'ours {r["name"]}: {m.get("words_per_sec", float("nan")):,.0f} words/s, {m.get("seconds", float("nan")):.0f} s on {m.get("adapter", "?")}')


def run_record(r):
    if r['kind'] == 'gensim':
        return {'name': r['name'], 'kind': 'gensim', 'seconds': r['seconds'], 'words_per_sec': r['words_per_sec']}
    m = r['metrics']
    return {'name': r['name'], 'kind': 'ours', 'seed': m.get('knobs', {}).get('seed'), 'seconds': m.get('seconds'),
            'words_per_sec': m.get('words_per_sec'), 'adapter': m.get('adapter')}


def main():
    args = parse_args()
    ours, hp, vocab, sentences, sizes = prepare(args)
    seeds = [int(s) for s in args.gensim_seeds.split(',') if s.strip()]
    runs = ours + gensim_runs(seeds, sentences, hp, vocab, sizes['vocab_words'])

    top_nn = min(args.top_nn, len(vocab))
    top_sim = min(args.top_sim, len(vocab))
    rng = np.random.default_rng(args.pair_seed)
    i = rng.integers(0, top_sim, args.pairs)
    j = (i + rng.integers(1, top_sim, args.pairs)) % top_sim  # j ≠ i
    rows = compare(runs, args.k, top_nn, (i, j))
    summary = summarize(rows)
    ok, text = verdict(summary)
    report(args, rows, summary, text, ours, top_nn, top_sim)

    if args.json:
        out = {'corpus': args.corpus, **sizes, 'hyperparameters': hp, 'k': args.k, 'top_nn': top_nn, 'top_sim': top_sim,
               'pairs': args.pairs, 'pair_seed': args.pair_seed, 'runs': [run_record(r) for r in runs],
               'pairs_table': rows, 'summary': summary, 'within_gensim_spread': ok, 'verdict': text}
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(out, indent=2, ensure_ascii=False) + '\n')
        print(f'wrote {args.json}')


if __name__ == '__main__':
    main()
