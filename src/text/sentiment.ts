// Seeded sentiment data for fine-tuning BERT, whose labels depend on word order and context, and
// a parser for user files of `label<TAB>text` lines (the pretraining documents are bert_data.ts).
//
// Sentiment label rule (documented, and checked by the unit tests):
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
import { pick } from './bert_data';

export interface LabelledText {
  label: 0 | 1;
  text: string;
}

const SUBJECTS = [
  'the movie',
  'the food',
  'the hotel',
  'the service',
  'this phone',
  'the book',
  'the concert',
  'the room',
  'the staff',
  'this laptop',
  'the game',
  'the coffee',
];
export const POSITIVE_WORDS = [
  'good',
  'great',
  'excellent',
  'wonderful',
  'fun',
  'friendly',
  'comfortable',
  'tasty',
  'cheap',
  'beautiful',
];
export const NEGATIVE_WORDS = [
  'bad',
  'awful',
  'boring',
  'terrible',
  'slow',
  'noisy',
  'overpriced',
  'rude',
  'dirty',
  'disappointing',
];
export const NEGATIONS = ['not', 'never'];
export const INTENSIFIERS = ['very', 'really', 'extremely', 'quite'];

/** One clause with the requested polarity; returns its text. */
function clause(rng: Rng, polarity: 1 | -1, subject: string): string {
  const negated = rng.next() < 0.4;
  const adjPolarity = negated ? -polarity : polarity;
  const adjs = adjPolarity > 0 ? POSITIVE_WORDS : NEGATIVE_WORDS;
  const verb = rng.next() < 0.5 ? 'is' : 'was';
  const parts = [subject, verb];
  if (negated) parts.push(pick(rng, NEGATIONS));
  if (rng.next() < 0.3) parts.push(pick(rng, INTENSIFIERS));
  parts.push(pick(rng, adjs));
  return parts.join(' ');
}

function review(rng: Rng): LabelledText {
  const label: 0 | 1 = rng.next() < 0.5 ? 1 : 0;
  const last: 1 | -1 = label === 1 ? 1 : -1;
  const subj = pick(rng, SUBJECTS);
  const subj2 = rng.next() < 0.5 ? subj.replace(/^(the|this) /, 'the ').replace(/^the .*/, 'it') : pick(rng, SUBJECTS);
  const form = rng.int(4);
  let text: string;
  if (form === 0) text = clause(rng, last, subj);
  else if (form === 1) text = `${clause(rng, last === 1 ? -1 : 1, subj)}, but ${clause(rng, last, subj2)}`;
  else if (form === 2) text = `although ${clause(rng, last === 1 ? -1 : 1, subj)}, ${clause(rng, last, subj2)}`;
  else text = `${clause(rng, last, subj)} and ${clause(rng, last, subj2)}`;
  return { label, text: text + '.' };
}

/** A balanced sentiment set; test items never repeat a training text. */
export function generateSentiment(opts: { seed?: number; train?: number; test?: number } = {}): {
  train: LabelledText[];
  test: LabelledText[];
} {
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
    if (!seen.has(r.text)) {
      test.push(r);
      seen.add(r.text);
    }
  }
  return { train, test };
}

/** The documented label rule applied to a generated review's text (used by the tests). */
export function sentimentRule(text: string): 0 | 1 {
  const body = text.replace(/\.$/, '');
  const clauses = body.startsWith('although ') ? body.slice(9).split(', ') : body.split(/, but | and /);
  const lastClause = clauses.at(-1);
  if (lastClause === undefined) throw new Error('sentimentRule: no clause'); // split always returns one
  const words = lastClause.split(' ');
  let p = 0;
  for (const w of words) {
    if (POSITIVE_WORDS.includes(w)) p = 1;
    if (NEGATIVE_WORDS.includes(w)) p = -1;
  }
  if (words.some((w) => NEGATIONS.includes(w))) p = -p;
  return p > 0 ? 1 : 0;
}

// ---------------------------------------------------------------------------------------------
// user files

/** Parses `label<TAB>text` lines, label 0 or 1. Blank lines and lines starting with '#' are
 *  skipped, as is a first line `label<TAB>text` (a header). Errors (InputError) name the line
 *  (1-based) and what is wrong; a file needs at least 2 examples (one to train on, one held out). */
export function parseLabelledTsv(content: string, fileName = 'input'): LabelledText[] {
  const out: LabelledText[] = [];
  content.split(/\r?\n/).forEach((line, i) => {
    const where = `${fileName}:${i + 1}`;
    if (line.trim() === '' || line.startsWith('#')) return;
    const tab = line.indexOf('\t');
    if (tab < 0)
      throw new InputError(
        `${where}: no tab; expected "label<TAB>text" (label 0 or 1), got ${JSON.stringify(line.slice(0, 60))}`,
      );
    const label = line.slice(0, tab).trim(),
      text = line.slice(tab + 1).trim();
    if (out.length === 0 && label.toLowerCase() === 'label') return;
    if (label !== '0' && label !== '1') throw new InputError(`${where}: label ${JSON.stringify(label)} is not 0 or 1`);
    if (text === '') throw new InputError(`${where}: the text after the tab is empty`);
    out.push({ label: label === '1' ? 1 : 0, text });
  });
  if (out.length === 0) throw new InputError(`${fileName}: no examples (expected lines of "label<TAB>text")`);
  if (out.length < 2)
    throw new InputError(`${fileName}: only 1 example; at least 2 are needed (one to train on, one held out)`);
  return out;
}
