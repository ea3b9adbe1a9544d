// Seeded data for BERT: (a) pretraining documents with ambiguous words used in distinct senses,
// for masked-LM and next-sentence prediction; (b) a sentiment set whose labels depend on word
// order and context; (c) a parser for user files of `label<TAB>text` lines.
//
// (a) Each document has a topic, and the topic fixes the sense of the ambiguous words in it:
//   bank  — river (water, fish, grass, boat) | money (account, loan, cash, teller)
//   bat   — animal (cave, wings, night, insects) | sport (ball, hit, swing, player)
//   bark  — dog (dog, loud, puppy, stranger) | tree (tree, rough, trunk, oak)
//   spring — season (flowers, warm, april, bloom) | coil (metal, bounce, mattress, clock)
//   match — fire (candle, light, flame, box) | game (team, won, score, referee)
// Sentences come from per-sense templates filled with sense-specific context words, so the sense
// can only be told from the context. `senseSentences` gives labelled single sentences for probing
// contextual embeddings; `nextSentencePairs` builds NSP pairs (consecutive vs random).
//
// (b) Sentiment label rule (documented, and checked by the unit tests):
//   a clause is "<subject> is|was [not|never] [very|really|extremely|quite] <adjective>"
//   polarity(clause) = polarity(adjective) (+1 positive / −1 negative), flipped by not/never;
//                      intensifiers do not change it;
//   a review is one clause, or "<c1>, but <c2>", or "although <c1>, <c2>", or "<c1> and <c2>":
//   label = 1 (positive) iff polarity of the LAST clause is +1. In "but"/"although" reviews the
//   two clauses have opposite polarities; in "and" reviews they agree.
// So the same words in a different order ("good, but overpriced" vs "overpriced, but good") or
// with a "not" get different labels: a bag of words cannot reach 100%.
import { Rng } from '../util/prng';
import { InputError } from '../util/errors';

// ---------------------------------------------------------------------------------------------
// (a) pretraining documents

interface Sense {
  word: string;
  sense: string;
  topic: string;
  context: readonly string[];
  templates: readonly string[]; // {w} = the ambiguous word, {c} = a context word, {n} = a name
}

export const SENSES: readonly Sense[] = [
  { word: 'bank', sense: 'river', topic: 'river', context: ['water', 'fish', 'grass', 'boat', 'mud', 'ducks'],
    templates: ['we sat on the {w} and watched the {c}.', 'the {w} of the river was covered in {c}.', '{n} walked along the {w} looking for {c}.', 'the {c} near the {w} moved slowly.'] },
  { word: 'bank', sense: 'money', topic: 'money', context: ['account', 'loan', 'cash', 'teller', 'savings', 'card'],
    templates: ['{n} went to the {w} to ask about a {c}.', 'the {w} closed my {c} last week.', 'the {w} gave {n} a new {c}.', 'the {c} at the {w} was very helpful.'] },
  { word: 'bat', sense: 'animal', topic: 'cave', context: ['cave', 'wings', 'night', 'insects', 'dark', 'roof'],
    templates: ['a {w} flew out of the {c}.', 'the {w} hung from the {c} all day.', '{n} saw a {w} eating {c}.', 'at {c} the {w} hunts for food.'] },
  { word: 'bat', sense: 'sport', topic: 'baseball', context: ['ball', 'swing', 'player', 'pitch', 'team', 'glove'],
    templates: ['{n} hit the {c} with the {w}.', 'the {c} picked up a heavy {w}.', 'a good {w} helps every {c}.', '{n} lost the {w} before the {c}.'] },
  { word: 'bark', sense: 'dog', topic: 'dog', context: ['dog', 'puppy', 'stranger', 'neighbor', 'mailman', 'cat'],
    templates: ['the {c} heard a loud {w}.', 'the {w} of the {c} woke {n} up.', '{n} laughed at the little {w} of the {c}.', 'every {c} makes the dog {w}.'] },
  { word: 'bark', sense: 'tree', topic: 'forest', context: ['tree', 'trunk', 'oak', 'branch', 'moss', 'pine'],
    templates: ['the {w} of the {c} was rough.', '{n} touched the {w} on the old {c}.', 'moss grew on the {w} of the {c}.', 'the {c} lost some {w} in the storm.'] },
  { word: 'spring', sense: 'season', topic: 'garden', context: ['flowers', 'april', 'rain', 'birds', 'blossoms', 'garden'],
    templates: ['in {w} the {c} come back.', '{n} loves the {c} of {w}.', 'the {w} was warm and full of {c}.', 'every {w} {n} plants {c}.'] },
  { word: 'spring', sense: 'coil', topic: 'workshop', context: ['metal', 'mattress', 'clock', 'screw', 'pen', 'wire'],
    templates: ['the {w} inside the {c} broke.', '{n} replaced the {w} in the {c}.', 'a steel {w} holds the {c} together.', 'the {c} needs a new {w}.'] },
  { word: 'match', sense: 'fire', topic: 'camping', context: ['candle', 'flame', 'fire', 'smoke', 'wood', 'lamp'],
    templates: ['{n} lit a {w} to start the {c}.', 'the {w} made a small {c}.', 'use a {w} to light the {c}.', 'the {c} caught when the {w} fell.'] },
  { word: 'match', sense: 'game', topic: 'football', context: ['team', 'score', 'referee', 'goal', 'fans', 'stadium'],
    templates: ['our {c} won the {w} today.', 'the {c} watched the whole {w}.', 'the {w} ended with a late {c}.', '{n} played the {w} with the {c}.'] },
];

const BERT_NAMES = ['anna', 'ben', 'carla', 'david', 'eva', 'frank', 'grace', 'henry', 'iris', 'james', 'kate', 'liam'];
const FILLER: Record<string, readonly string[]> = {
  river: ['the river was wide and calm.', 'a small boat passed by.', 'the water was cold.'],
  money: ['the line was long.', 'interest rates went up.', 'she paid her bills on time.'],
  cave: ['the cave was dark and quiet.', 'it was cold inside.', 'we used a flashlight.'],
  baseball: ['the crowd cheered.', 'the game started at noon.', 'the pitcher threw fast.'],
  dog: ['the dog wagged its tail.', 'the yard was muddy.', 'it was time for a walk.'],
  forest: ['the forest was green.', 'leaves covered the ground.', 'we heard an owl.'],
  garden: ['the days grew longer.', 'the grass turned green.', 'bees visited the garden.'],
  workshop: ['the tools were on the bench.', 'he opened the toolbox.', 'the repair took an hour.'],
  camping: ['we set up the tent.', 'the night was cold.', 'everyone sat in a circle.'],
  football: ['the fans sang loudly.', 'it rained during the game.', 'the coach was proud.'],
};

export interface SenseSentence {
  text: string;
  word: string;
  sense: string;
}

function fillSense(s: Sense, rng: Rng): string {
  const t = s.templates[rng.int(s.templates.length)];
  return t.replace('{w}', s.word).replace('{c}', s.context[rng.int(s.context.length)]).replace('{n}', BERT_NAMES[rng.int(BERT_NAMES.length)]);
}

export interface BertDocument {
  topic: string;
  sentences: string[];
}

/** `count` documents of 3–7 distinct sentences each; ~2/3 of the sentences use the topic's ambiguous word. */
export function generateBertDocuments(opts: { seed?: number; count?: number } = {}): BertDocument[] {
  const rng = new Rng(opts.seed ?? 1, 0xbe27);
  const docs: BertDocument[] = [];
  for (let d = 0; d < (opts.count ?? 2000); d++) {
    const sense = SENSES[rng.int(SENSES.length)];
    const n = 3 + rng.int(5);
    const sentences: string[] = [];
    const filler = FILLER[sense.topic];
    for (let i = 0, tries = 0; i < n && tries < 50; tries++) {
      const t = rng.next() < 0.67 ? fillSense(sense, rng) : filler[rng.int(filler.length)];
      if (!sentences.includes(t)) { sentences.push(t); i++; } // no repeats within a document
    }
    docs.push({ topic: sense.topic, sentences });
  }
  return docs;
}

/** `count` single sentences, each using an ambiguous word in a known sense (for probing). */
export function senseSentences(opts: { seed?: number; count?: number } = {}): SenseSentence[] {
  const rng = new Rng(opts.seed ?? 1, 0x5e45);
  const out: SenseSentence[] = [];
  for (let i = 0; i < (opts.count ?? 200); i++) {
    const s = SENSES[rng.int(SENSES.length)];
    out.push({ text: fillSense(s, rng), word: s.word, sense: s.sense });
  }
  return out;
}

export interface NspPair {
  a: string;
  b: string;
  /** 1: b follows a in its document; 0: b is a random sentence from another document. */
  isNext: 0 | 1;
}

/** One pair per sentence that has a successor: half consecutive, half with a random b from another document. */
export function nextSentencePairs(docs: readonly BertDocument[], seed = 1): NspPair[] {
  if (docs.length < 2) throw new Error('nextSentencePairs: need at least 2 documents');
  const rng = new Rng(seed, 0x4e59);
  const out: NspPair[] = [];
  docs.forEach((doc, d) => {
    for (let i = 0; i + 1 < doc.sentences.length; i++) {
      if (rng.next() < 0.5) out.push({ a: doc.sentences[i], b: doc.sentences[i + 1], isNext: 1 });
      else {
        let o = rng.int(docs.length - 1);
        if (o >= d) o++;
        const other = docs[o].sentences;
        out.push({ a: doc.sentences[i], b: other[rng.int(other.length)], isNext: 0 });
      }
    }
  });
  return out;
}

/** Documents as one text (a sentence per line, a blank line between documents), e.g. to train WordPiece. */
export function documentsToText(docs: readonly BertDocument[]): string {
  return docs.map((d) => d.sentences.join('\n')).join('\n\n') + '\n';
}

// ---------------------------------------------------------------------------------------------
// (b) sentiment

export interface LabelledText {
  label: 0 | 1;
  text: string;
}

const SUBJECTS = ['the movie', 'the food', 'the hotel', 'the service', 'this phone', 'the book', 'the concert', 'the room', 'the staff', 'this laptop', 'the game', 'the coffee'];
export const POSITIVE_WORDS = ['good', 'great', 'excellent', 'wonderful', 'fun', 'friendly', 'comfortable', 'tasty', 'cheap', 'beautiful'];
export const NEGATIVE_WORDS = ['bad', 'awful', 'boring', 'terrible', 'slow', 'noisy', 'overpriced', 'rude', 'dirty', 'disappointing'];
export const NEGATIONS = ['not', 'never'];
export const INTENSIFIERS = ['very', 'really', 'extremely', 'quite'];

/** One clause with the requested polarity; returns its text. */
function clause(rng: Rng, polarity: 1 | -1, subject: string): string {
  const negated = rng.next() < 0.4;
  const adjPolarity = negated ? -polarity : polarity;
  const adjs = adjPolarity > 0 ? POSITIVE_WORDS : NEGATIVE_WORDS;
  const verb = rng.next() < 0.5 ? 'is' : 'was';
  const parts = [subject, verb];
  if (negated) parts.push(NEGATIONS[rng.int(NEGATIONS.length)]);
  if (rng.next() < 0.3) parts.push(INTENSIFIERS[rng.int(INTENSIFIERS.length)]);
  parts.push(adjs[rng.int(adjs.length)]);
  return parts.join(' ');
}

function review(rng: Rng): LabelledText {
  const label: 0 | 1 = rng.next() < 0.5 ? 1 : 0;
  const last: 1 | -1 = label === 1 ? 1 : -1;
  const subj = SUBJECTS[rng.int(SUBJECTS.length)];
  const subj2 = rng.next() < 0.5 ? subj.replace(/^(the|this) /, 'the ').replace(/^the .*/, 'it') : SUBJECTS[rng.int(SUBJECTS.length)];
  const form = rng.int(4);
  let text: string;
  if (form === 0) text = clause(rng, last, subj);
  else if (form === 1) text = `${clause(rng, last === 1 ? -1 : 1, subj)}, but ${clause(rng, last, subj2)}`;
  else if (form === 2) text = `although ${clause(rng, last === 1 ? -1 : 1, subj)}, ${clause(rng, last, subj2)}`;
  else text = `${clause(rng, last, subj)} and ${clause(rng, last, subj2)}`;
  return { label, text: text + '.' };
}

/** A balanced sentiment set; test items never repeat a training text. */
export function generateSentiment(opts: { seed?: number; train?: number; test?: number } = {}): { train: LabelledText[]; test: LabelledText[] } {
  const rng = new Rng(opts.seed ?? 1, 0x5e27);
  const train: LabelledText[] = [];
  const seen = new Set<string>();
  for (let i = 0; i < (opts.train ?? 2000); i++) {
    const r = review(rng);
    train.push(r);
    seen.add(r.text);
  }
  const test: LabelledText[] = [];
  const nTest = opts.test ?? 500;
  for (let tries = 0; test.length < nTest; tries++) {
    if (tries > 100 * nTest + 1000) throw new Error('generateSentiment: could not find enough unseen test texts');
    const r = review(rng);
    if (!seen.has(r.text)) { test.push(r); seen.add(r.text); }
  }
  return { train, test };
}

/** The documented label rule applied to a generated review's text (used by the tests). */
export function sentimentRule(text: string): 0 | 1 {
  const body = text.replace(/\.$/, '');
  const clauses = body.startsWith('although ') ? body.slice(9).split(', ') : body.split(/, but | and /);
  const words = clauses[clauses.length - 1].split(' ');
  let p = 0;
  for (const w of words) {
    if (POSITIVE_WORDS.includes(w)) p = 1;
    if (NEGATIVE_WORDS.includes(w)) p = -1;
  }
  if (words.some((w) => NEGATIONS.includes(w))) p = -p;
  return p > 0 ? 1 : 0;
}

// ---------------------------------------------------------------------------------------------
// (c) user files

/** Parses `label<TAB>text` lines, label 0 or 1. Blank lines and lines starting with '#' are
 *  skipped, as is a first line `label<TAB>text` (a header). Errors (InputError) name the line
 *  (1-based) and what is wrong; a file needs at least 2 examples (one to train on, one held out). */
export function parseLabelledTsv(content: string, fileName = 'input'): LabelledText[] {
  const out: LabelledText[] = [];
  content.split(/\r?\n/).forEach((line, i) => {
    const where = `${fileName}:${i + 1}`;
    if (line.trim() === '' || line.startsWith('#')) return;
    const tab = line.indexOf('\t');
    if (tab < 0) throw new InputError(`${where}: no tab; expected "label<TAB>text" (label 0 or 1), got ${JSON.stringify(line.slice(0, 60))}`);
    const label = line.slice(0, tab).trim(), text = line.slice(tab + 1).trim();
    if (out.length === 0 && label.toLowerCase() === 'label') return;
    if (label !== '0' && label !== '1') throw new InputError(`${where}: label ${JSON.stringify(label)} is not 0 or 1`);
    if (text === '') throw new InputError(`${where}: the text after the tab is empty`);
    out.push({ label: label === '1' ? 1 : 0, text });
  });
  if (out.length === 0) throw new InputError(`${fileName}: no examples (expected lines of "label<TAB>text")`);
  if (out.length < 2) throw new InputError(`${fileName}: only 1 example; at least 2 are needed (one to train on, one held out)`);
  return out;
}
