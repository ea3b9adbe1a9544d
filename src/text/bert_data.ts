// Seeded pretraining documents for BERT: ambiguous words used in distinct senses, for masked-LM
// and next-sentence prediction. The sentiment set and the `label<TAB>text` parser are sentiment.ts.
//
// Each document has a topic, and the topic fixes the sense of the ambiguous words in it:
//   bank  — river (water, fish, grass, boat) | money (account, loan, cash, teller)
//   bat   — animal (cave, wings, night, insects) | sport (ball, hit, swing, player)
//   bark  — dog (dog, loud, puppy, stranger) | tree (tree, rough, trunk, oak)
//   spring — season (flowers, warm, april, bloom) | coil (metal, bounce, mattress, clock)
//   match — fire (candle, light, flame, box) | game (team, won, score, referee)
// Sentences come from per-sense templates filled with sense-specific context words, so the sense
// can only be told from the context. `senseSentences` gives labelled single sentences for probing
// contextual embeddings; `nextSentencePairs` builds NSP pairs (consecutive vs random).
import { Rng } from '../util/prng';

/** One of `items`, uniformly: one `rng.int(items.length)` draw. */
export function pick<T>(rng: Rng, items: readonly T[]): T {
  const item = items[rng.int(items.length)];
  if (item === undefined) throw new Error('pick: nothing to pick from');
  return item;
}

interface Sense {
  word: string;
  sense: string;
  topic: string;
  context: readonly string[];
  templates: readonly string[]; // {w} = the ambiguous word, {c} = a context word, {n} = a name
}

export const SENSES: readonly Sense[] = [
  {
    word: 'bank',
    sense: 'river',
    topic: 'river',
    context: ['water', 'fish', 'grass', 'boat', 'mud', 'ducks'],
    templates: [
      'we sat on the {w} and watched the {c}.',
      'the {w} of the river was covered in {c}.',
      '{n} walked along the {w} looking for {c}.',
      'the {c} near the {w} moved slowly.',
    ],
  },
  {
    word: 'bank',
    sense: 'money',
    topic: 'money',
    context: ['account', 'loan', 'cash', 'teller', 'savings', 'card'],
    templates: [
      '{n} went to the {w} to ask about a {c}.',
      'the {w} closed my {c} last week.',
      'the {w} gave {n} a new {c}.',
      'the {c} at the {w} was very helpful.',
    ],
  },
  {
    word: 'bat',
    sense: 'animal',
    topic: 'cave',
    context: ['cave', 'wings', 'night', 'insects', 'dark', 'roof'],
    templates: [
      'a {w} flew out of the {c}.',
      'the {w} hung from the {c} all day.',
      '{n} saw a {w} eating {c}.',
      'at {c} the {w} hunts for food.',
    ],
  },
  {
    word: 'bat',
    sense: 'sport',
    topic: 'baseball',
    context: ['ball', 'swing', 'player', 'pitch', 'team', 'glove'],
    templates: [
      '{n} hit the {c} with the {w}.',
      'the {c} picked up a heavy {w}.',
      'a good {w} helps every {c}.',
      '{n} lost the {w} before the {c}.',
    ],
  },
  {
    word: 'bark',
    sense: 'dog',
    topic: 'dog',
    context: ['dog', 'puppy', 'stranger', 'neighbor', 'mailman', 'cat'],
    templates: [
      'the {c} heard a loud {w}.',
      'the {w} of the {c} woke {n} up.',
      '{n} laughed at the little {w} of the {c}.',
      'every {c} makes the dog {w}.',
    ],
  },
  {
    word: 'bark',
    sense: 'tree',
    topic: 'forest',
    context: ['tree', 'trunk', 'oak', 'branch', 'moss', 'pine'],
    templates: [
      'the {w} of the {c} was rough.',
      '{n} touched the {w} on the old {c}.',
      'moss grew on the {w} of the {c}.',
      'the {c} lost some {w} in the storm.',
    ],
  },
  {
    word: 'spring',
    sense: 'season',
    topic: 'garden',
    context: ['flowers', 'april', 'rain', 'birds', 'blossoms', 'garden'],
    templates: [
      'in {w} the {c} come back.',
      '{n} loves the {c} of {w}.',
      'the {w} was warm and full of {c}.',
      'every {w} {n} plants {c}.',
    ],
  },
  {
    word: 'spring',
    sense: 'coil',
    topic: 'workshop',
    context: ['metal', 'mattress', 'clock', 'screw', 'pen', 'wire'],
    templates: [
      'the {w} inside the {c} broke.',
      '{n} replaced the {w} in the {c}.',
      'a steel {w} holds the {c} together.',
      'the {c} needs a new {w}.',
    ],
  },
  {
    word: 'match',
    sense: 'fire',
    topic: 'camping',
    context: ['candle', 'flame', 'fire', 'smoke', 'wood', 'lamp'],
    templates: [
      '{n} lit a {w} to start the {c}.',
      'the {w} made a small {c}.',
      'use a {w} to light the {c}.',
      'the {c} caught when the {w} fell.',
    ],
  },
  {
    word: 'match',
    sense: 'game',
    topic: 'football',
    context: ['team', 'score', 'referee', 'goal', 'fans', 'stadium'],
    templates: [
      'our {c} won the {w} today.',
      'the {c} watched the whole {w}.',
      'the {w} ended with a late {c}.',
      '{n} played the {w} with the {c}.',
    ],
  },
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
  const t = pick(rng, s.templates);
  return t.replace('{w}', s.word).replace('{c}', pick(rng, s.context)).replace('{n}', pick(rng, BERT_NAMES));
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
    const sense = pick(rng, SENSES);
    const n = 3 + rng.int(5);
    const sentences: string[] = [];
    const filler = FILLER[sense.topic];
    if (filler === undefined) throw new Error(`generateBertDocuments: no filler sentences for topic ${sense.topic}`);
    for (let i = 0, tries = 0; i < n && tries < 50; tries++) {
      const t = rng.next() < 0.67 ? fillSense(sense, rng) : pick(rng, filler);
      if (!sentences.includes(t)) {
        sentences.push(t);
        i++;
      } // no repeats within a document
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
    const s = pick(rng, SENSES);
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
    for (const [i, a] of doc.sentences.entries()) {
      const next = doc.sentences[i + 1];
      if (next === undefined) break; // a is the last sentence
      if (rng.next() < 0.5) out.push({ a, b: next, isNext: 1 });
      else {
        let o = rng.int(docs.length - 1);
        if (o >= d) o++;
        const other = docs[o]!.sentences; // o in [0, docs.length), skipping d
        out.push({ a, b: pick(rng, other), isNext: 0 });
      }
    }
  });
  return out;
}

/** Documents as one text (a sentence per line, a blank line between documents), e.g. to train WordPiece. */
export function documentsToText(docs: readonly BertDocument[]): string {
  return docs.map((d) => d.sentences.join('\n')).join('\n\n') + '\n';
}
