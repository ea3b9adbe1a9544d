// The built-in word2vec corpus: a seeded generator of simple English sentences whose word
// co-occurrences encode known relations, plus the matching analogy questions (questions-words.txt
// format: `: section` lines, then `a b c d`) and a word-pair similarity list (`w1 w2 score`).
//
// Each family is a list of pairs (x, y) that differ by one attribute (male/female, country/capital,
// singular/plural, present/past, base/comparative). A sentence about a word w of pair p uses
//   • w itself,
//   • two of p's concept words (shared by x and y: crown/throne for king and queen),
//   • one or two marker words of w's side (he/his for male, she/her for female), and fillers.
// So w's contexts are (concept of p) + (side of w): the difference x − y is the same for every
// pair of a family, which is what b − a + c needs. Fillers ("the", "is") are frequent and mostly
// removed by subsampling, as in real text.
import { Rng } from '../util/prng';
import type { TextSource } from './words';

export interface Family {
  /** Section name in the questions file (word2vec's names where one exists). */
  section: string;
  /** Markers of the x side and of the y side. */
  markers: [string[], string[]];
  /** [x, y, concept words…] */
  pairs: string[][];
  /** Sentence templates: W = the word, M = a side marker, C = a concept word. */
  templates: string[];
}

export const FAMILIES: readonly Family[] = [
  {
    section: 'family',
    markers: [
      ['he', 'his', 'him'],
      ['she', 'her', 'hers'],
    ],
    pairs: [
      ['king', 'queen', 'crown', 'throne', 'palace'],
      ['prince', 'princess', 'castle', 'royal', 'heir'],
      ['man', 'woman', 'adult', 'office', 'job'],
      ['boy', 'girl', 'school', 'toy', 'child'],
      ['father', 'mother', 'parent', 'family', 'home'],
      ['son', 'daughter', 'born', 'baby', 'parents'],
      ['brother', 'sister', 'sibling', 'twin', 'bedroom'],
      ['uncle', 'aunt', 'cousin', 'holiday', 'relatives'],
      ['husband', 'wife', 'married', 'ring', 'spouse'],
      ['nephew', 'niece', 'kids', 'summer', 'birthday'],
      ['actor', 'actress', 'film', 'stage', 'movie'],
      ['waiter', 'waitress', 'restaurant', 'menu', 'tips'],
      ['lord', 'lady', 'manor', 'estate', 'servants'],
      ['grandfather', 'grandmother', 'grandchildren', 'stories', 'elderly'],
      ['groom', 'bride', 'ceremony', 'church', 'veil'],
    ],
    templates: [
      'the W said that M C was near the C',
      'M C made the W happy with the C',
      'the W and M C went to the C',
      'everyone knew the W loved M C and the C',
    ],
  },
  {
    section: 'capital-common-countries',
    markers: [
      ['country', 'nation', 'border'],
      ['city', 'capital', 'streets'],
    ],
    pairs: [
      ['france', 'paris', 'french', 'wine'],
      ['germany', 'berlin', 'german', 'beer'],
      ['italy', 'rome', 'italian', 'pasta'],
      ['spain', 'madrid', 'spanish', 'paella'],
      ['japan', 'tokyo', 'japanese', 'sushi'],
      ['china', 'beijing', 'chinese', 'tea'],
      ['russia', 'moscow', 'russian', 'vodka'],
      ['egypt', 'cairo', 'egyptian', 'pyramids'],
      ['greece', 'athens', 'greek', 'olives'],
      ['canada', 'ottawa', 'canadian', 'maple'],
      ['kenya', 'nairobi', 'kenyan', 'safari'],
      ['peru', 'lima', 'peruvian', 'andes'],
      ['norway', 'oslo', 'norwegian', 'fjords'],
      ['poland', 'warsaw', 'polish', 'pierogi'],
      ['cuba', 'havana', 'cuban', 'cigars'],
      ['india', 'delhi', 'indian', 'curry'],
    ],
    templates: [
      'W is a M where C people enjoy C',
      'the C M of W is famous for C',
      'we visited W the C M and had C',
      'in W the M is full of C C',
    ],
  },
  {
    section: 'gram8-plural',
    markers: [
      ['one', 'this', 'single'],
      ['many', 'these', 'several'],
    ],
    pairs: [
      ['cat', 'cats', 'whiskers', 'meow'],
      ['dog', 'dogs', 'bark', 'bone'],
      ['car', 'cars', 'engine', 'road'],
      ['tree', 'trees', 'leaves', 'forest'],
      ['apple', 'apples', 'fruit', 'orchard'],
      ['bird', 'birds', 'wings', 'nest'],
      ['house', 'houses', 'roof', 'door'],
      ['book', 'books', 'pages', 'library'],
      ['horse', 'horses', 'saddle', 'stable'],
      ['river', 'rivers', 'water', 'bank'],
      ['cup', 'cups', 'coffee', 'handle'],
      ['shoe', 'shoes', 'feet', 'laces'],
      ['flower', 'flowers', 'petals', 'bloom'],
      ['ship', 'ships', 'sea', 'sail'],
      ['key', 'keys', 'lock', 'metal'],
    ],
    templates: [
      'M W sat by the C and the C',
      'we saw M W with C near the C',
      'look at M W and its C',
      'M W had C and C',
    ],
  },
  {
    section: 'gram7-past-tense',
    markers: [
      ['today', 'now', 'usually'],
      ['yesterday', 'ago', 'earlier'],
    ],
    pairs: [
      ['walk', 'walked', 'park', 'path'],
      ['play', 'played', 'game', 'ball'],
      ['jump', 'jumped', 'fence', 'rope'],
      ['talk', 'talked', 'phone', 'friends'],
      ['cook', 'cooked', 'kitchen', 'dinner'],
      ['swim', 'swam', 'pool', 'lake'],
      ['run', 'ran', 'race', 'track'],
      ['write', 'wrote', 'letter', 'pen'],
      ['sing', 'sang', 'song', 'choir'],
      ['eat', 'ate', 'lunch', 'bread'],
      ['climb', 'climbed', 'mountain', 'cliff'],
      ['paint', 'painted', 'canvas', 'brush'],
      ['dance', 'danced', 'music', 'party'],
      ['drive', 'drove', 'truck', 'highway'],
      ['fly', 'flew', 'plane', 'sky'],
      ['sleep', 'slept', 'bed', 'pillow'],
    ],
    templates: ['we W to the C and the C M', 'M they W with the C', 'i W at the C M near the C', 'M you W the C and C'],
  },
  {
    section: 'gram3-comparative',
    markers: [
      ['very', 'quite', 'really'],
      ['than', 'much', 'even'],
    ],
    pairs: [
      ['big', 'bigger', 'elephant', 'giant'],
      ['small', 'smaller', 'mouse', 'tiny'],
      ['fast', 'faster', 'rocket', 'speed'],
      ['slow', 'slower', 'snail', 'turtle'],
      ['tall', 'taller', 'tower', 'giraffe'],
      ['short', 'shorter', 'stool', 'dwarf'],
      ['old', 'older', 'ancient', 'ruins'],
      ['young', 'younger', 'puppy', 'youth'],
      ['strong', 'stronger', 'muscle', 'weights'],
      ['weak', 'weaker', 'fragile', 'frail'],
      ['warm', 'warmer', 'sun', 'blanket'],
      ['cold', 'colder', 'ice', 'winter'],
      ['hard', 'harder', 'stone', 'rock'],
      ['soft', 'softer', 'cotton', 'feather'],
      ['bright', 'brighter', 'lamp', 'light'],
      ['dark', 'darker', 'shadow', 'cave'],
    ],
    templates: [
      'the C is M W like a C',
      'a C can be M W and the C too',
      'this C looks M W next to the C',
      'the C was M W as a C',
    ],
  },
];

/** Default size of the built-in corpus in tokens. */
export const DEFAULT_CORPUS_TOKENS = 300_000;

function pick<T>(rng: Rng, a: readonly T[]): T {
  return a[rng.int(a.length)]!;
}

/** One sentence: a random family, pair, side and template, filled in. */
export function sentence(rng: Rng): string {
  const f = pick(rng, FAMILIES);
  const p = pick(rng, f.pairs);
  const side = rng.int(2);
  const concepts = p.slice(2);
  return pick(rng, f.templates)
    .split(' ')
    .map((t) => (t === 'W' ? p[side]! : t === 'M' ? pick(rng, f.markers[side]!) : t === 'C' ? pick(rng, concepts) : t))
    .join(' ');
}

/**
 * The built-in corpus as a re-readable source: the same sentences for the same (tokens, seed),
 * generated lazily chunk by chunk (never held whole), one sentence per line.
 */
export function builtinCorpus(o: { tokens?: number; seed?: number } = {}): TextSource {
  const tokens = o.tokens ?? DEFAULT_CORPUS_TOKENS;
  const seed = o.seed ?? 1;
  return {
    *chunks() {
      const rng = new Rng(seed, 0x77327600);
      let n = 0;
      let lines: string[] = [];
      while (n < tokens) {
        const s = sentence(rng);
        n += s.split(' ').length;
        lines.push(s);
        if (lines.length === 4096) {
          yield `${lines.join('\n')}\n`;
          lines = [];
        }
      }
      if (lines.length) yield `${lines.join('\n')}\n`;
    },
  };
}

/** The whole built-in corpus as one string (for small sizes and downloads). */
export function builtinCorpusText(o: { tokens?: number; seed?: number } = {}): string {
  return [...(builtinCorpus(o).chunks() as Iterable<string>)].join('');
}

/** Analogy questions x_i y_i x_j y_j for every ordered i ≠ j, per family, in questions-words.txt format. */
export function builtinQuestions(): string {
  const out: string[] = [];
  for (const f of FAMILIES) {
    out.push(`: ${f.section}`);
    for (const a of f.pairs) for (const b of f.pairs) if (a !== b) out.push(`${a[0]} ${a[1]} ${b[0]} ${b[1]}`);
  }
  return `${out.join('\n')}\n`;
}

/**
 * Word pairs with a designed relatedness score (`w1 w2 score`): the two words of one pair 8,
 * same family and side 5, same family other side 3, different families 1.
 */
export function builtinSimilarity(count = 400, seed = 1): string {
  const rng = new Rng(seed, 0x51a1);
  const words: { w: string; f: number; p: number; s: number }[] = [];
  FAMILIES.forEach((f, fi) =>
    f.pairs.forEach((p, pi) => [0, 1].forEach((s) => words.push({ w: p[s]!, f: fi, p: pi, s }))),
  );
  const lines: string[] = [];
  const seen = new Set<string>();
  while (lines.length < count) {
    const a = pick(rng, words);
    // a quarter of the pairs are partners, so every score level is well represented
    const b = rng.int(4) === 0 ? words.find((x) => x.f === a.f && x.p === a.p && x.s !== a.s)! : pick(rng, words);
    if (a.w === b.w || seen.has(`${a.w} ${b.w}`)) continue;
    seen.add(`${a.w} ${b.w}`);
    const score = a.f !== b.f ? 1 : a.p === b.p ? 8 : a.s === b.s ? 5 : 3;
    lines.push(`${a.w} ${b.w} ${score}`);
  }
  return `${lines.join('\n')}\n`;
}
