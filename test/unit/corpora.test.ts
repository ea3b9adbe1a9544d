// Built-in corpus generators: determinism by seed, the stories' own entropy figure, the BERT
// pretraining documents and NSP pairs, the sentiment label rule and the TSV parser's errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateStories, splitStories } from '../../src/text/stories';
import {
  generateBertDocuments,
  nextSentencePairs,
  senseSentences,
  documentsToText,
  SENSES,
} from '../../src/text/bert_data';
import { generateSentiment, sentimentRule, parseLabelledTsv, NEGATIONS } from '../../src/text/sentiment';

test('stories: deterministic by seed, sized, ASCII, names recur within a story', () => {
  const a = generateStories({ seed: 4, targetChars: 50_000 });
  const b = generateStories({ seed: 4, targetChars: 50_000 });
  const c = generateStories({ seed: 5, targetChars: 50_000 });
  assert.equal(a.text, b.text);
  assert.equal(a.nats, b.nats);
  assert.notEqual(a.text, c.text);
  assert.ok(a.chars >= 50_000 && a.chars < 52_000, `${a.chars}`);
  assert.equal(a.text.length, a.chars);
  assert.ok(/^[\x20-\x7e\n]*$/.test(a.text));
  const lines = a.text.split('\n').filter((l) => l !== '');
  assert.equal(lines.length, a.storyChars.length);
  for (const story of lines.slice(0, 50)) {
    const names =
      story.match(
        /\b(Tom|Lily|Ben|Mia|Sam|Anna|Max|Lucy|Jack|Emma|Leo|Zoe|Finn|Rosa|Oscar|Ivy|Hugo|Nora|Eli|Ruby|Kai|Lena|Omar|Tara)\b/g,
      ) ?? [];
    const counts = new Map<string, number>();
    for (const n of names) counts.set(n, (counts.get(n) ?? 0) + 1);
    assert.ok(Math.max(...counts.values()) >= 3, story);
    assert.ok(counts.size === 2, story); // hero and friend
  }
  const def = generateStories();
  assert.ok(def.chars >= 200_000 && def.chars <= 500_000);
});

test('stories: cause and effect — each problem is followed by its own resolution', () => {
  const { text } = generateStories({ seed: 2, targetChars: 30_000 });
  for (const s of text.split('\n').filter((l) => l !== '')) {
    if (s.includes('could not find')) assert.match(s, /found the \w+/);
    else if (s.includes('fell and broke')) assert.match(s, /fixed the/);
    else assert.match(s, /came down/);
  }
});

test('stories: the reported entropy is finite, plausible and additive over stories', () => {
  const c = generateStories({ seed: 1, targetChars: 200_000 });
  assert.ok(Number.isFinite(c.natsPerChar));
  assert.ok(c.bitsPerChar > 0.1 && c.bitsPerChar < 3, `bits/char ${c.bitsPerChar}`);
  assert.ok(Math.abs(c.bitsPerChar * Math.LN2 - c.natsPerChar) < 1e-12);
  assert.ok(Math.abs(c.storyNats.reduce((s, x) => s + x, 0) - c.nats) < 1e-6);
  // An upper-bound sanity check: a unigram char model of the text cannot beat the true process.
  const freq = new Map<string, number>();
  for (const ch of c.text) freq.set(ch, (freq.get(ch) ?? 0) + 1);
  let unigram = 0;
  for (const n of freq.values()) unigram -= n * Math.log(n / c.chars);
  assert.ok(unigram / c.chars > c.natsPerChar, `unigram ${unigram / c.chars} vs ${c.natsPerChar}`);
  const split = splitStories(c, 0.1);
  assert.equal(split.train + split.val, c.text);
  assert.ok(split.val.length >= 0.1 * c.chars && split.val.startsWith(split.val.trimStart()));
  assert.ok(split.train.endsWith('\n'));
  assert.ok(Math.abs(split.valNatsPerChar - c.natsPerChar) < 0.03);
});

test('BERT documents: deterministic, topic-consistent senses, NSP pairs balanced', () => {
  const docs = generateBertDocuments({ seed: 3, count: 300 });
  assert.deepEqual(docs, generateBertDocuments({ seed: 3, count: 300 }));
  assert.equal(docs.length, 300);
  for (const d of docs) {
    assert.ok(d.sentences.length >= 3 && d.sentences.length <= 7);
    assert.equal(new Set(d.sentences).size, d.sentences.length);
    const senses = SENSES.filter((s) => s.topic === d.topic);
    assert.equal(senses.length, 1);
  }
  // each ambiguous word appears in two senses across the corpus
  const words = new Map<string, Set<string>>();
  for (const s of senseSentences({ seed: 1, count: 400 })) {
    assert.ok(s.text.split(/\W+/).includes(s.word), s.text);
    if (!words.has(s.word)) words.set(s.word, new Set());
    words.get(s.word)!.add(s.sense);
  }
  for (const [w, senses] of words) assert.equal(senses.size, 2, w);
  const pairs = nextSentencePairs(docs, 9);
  const pos = pairs.filter((p) => p.isNext === 1).length;
  assert.ok(pos > 0.4 * pairs.length && pos < 0.6 * pairs.length);
  const next = new Set(docs.flatMap((d) => d.sentences.slice(1).map((s, i) => `${d.sentences[i]}|${s}`)));
  for (const p of pairs.filter((q) => q.isNext === 1)) assert.ok(next.has(`${p.a}|${p.b}`));
  assert.ok(documentsToText(docs).includes('\n\n'));
});

test('sentiment: deterministic, balanced, labels follow the documented rule, order matters', () => {
  const { train, test: held } = generateSentiment({ seed: 2, train: 1500, test: 400 });
  assert.deepEqual(generateSentiment({ seed: 2, train: 1500, test: 400 }).train, train);
  assert.equal(train.length, 1500);
  assert.equal(held.length, 400);
  const trainTexts = new Set(train.map((x) => x.text));
  assert.ok(held.every((x) => !trainTexts.has(x.text)));
  for (const x of [...train, ...held]) assert.equal(sentimentRule(x.text), x.label, x.text);
  const pos = train.filter((x) => x.label === 1).length;
  assert.ok(pos > 0.45 * train.length && pos < 0.55 * train.length);
  // negation, contrast and intensifiers all occur
  const negated = train.filter((x) => x.text.split(/\W+/).some((w) => NEGATIONS.includes(w)));
  assert.ok(negated.length > 0.2 * train.length);
  assert.ok(train.some((x) => x.text.includes(', but ')) && train.some((x) => x.text.startsWith('although ')));
  assert.ok(train.some((x) => /\b(very|really|extremely|quite)\b/.test(x.text)));
  // the rule on hand-written cases
  assert.equal(sentimentRule('the food was good, but it was overpriced.'), 0);
  assert.equal(sentimentRule('the food was overpriced, but it was good.'), 1);
  assert.equal(sentimentRule('the movie was not good.'), 0);
  assert.equal(sentimentRule('although the room was not very clean, it was never boring.'), 1);
});

test('TSV parser: labels, header, comments, and errors with line numbers', () => {
  const items = parseLabelledTsv('label\ttext\n1\tgreat film\r\n# comment\n\n0\t  dull plot \n');
  assert.deepEqual(items, [
    { label: 1, text: 'great film' },
    { label: 0, text: 'dull plot' },
  ]);
  assert.throws(
    () => parseLabelledTsv('1\tok\n2\tbad label\n', 'reviews.tsv'),
    /reviews\.tsv:2: label "2" is not 0 or 1/,
  );
  assert.throws(() => parseLabelledTsv('1\tok\npositive no tab\n'), /input:2: no tab/);
  assert.throws(() => parseLabelledTsv('1\t\n'), /input:1: the text after the tab is empty/);
  assert.throws(() => parseLabelledTsv('\n# only comments\n'), /no examples/);
});
