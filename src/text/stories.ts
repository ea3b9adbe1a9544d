// A seeded generator of tiny stories from a probabilistic grammar, for training small GPTs.
// Each story has a cast (a hero, a friend), a place, a treasured object, a problem that
// happens to the object and a resolution that fits the problem (lost → searched and found,
// broken → fixed, stuck → got down), so a model has recurring names and simple cause and effect
// to learn.
//
// The generator reports its own entropy. Every random choice is drawn with a known probability
// p, and −log p is added to the story's total; the text is the concatenation of what the choices
// produce. Dividing the total by the number of characters gives the per-character cross-entropy
// of the true generating process on this text (`natsPerChar`, `bitsPerChar`). The grammar is
// written to be unambiguous (every choice is visible in the text and different choices give
// different text), so that figure is the entropy of the text itself, estimated on this sample:
// the floor a perfect char-level model would reach, i.e. validation loss in nats/char (char
// tokenizer) can be compared with it directly. A model that cannot see a whole story in its
// context window (names set earlier) cannot reach it. Use `splitStories` to get the exact figure
// for a held-out set of stories.
import { Rng } from '../util/prng';

export interface StoriesOptions {
  /** Seed of the generator (default 1). */
  seed?: number;
  /** Stop after the first story that brings the text to at least this many characters (default 300 000). */
  targetChars?: number;
}

export interface StoriesCorpus {
  /** The stories, each on one line ending with '\n'. ASCII only. */
  text: string;
  /** Per story: characters (newline included) and nats of its choices. */
  storyChars: number[];
  storyNats: number[];
  chars: number;
  nats: number;
  natsPerChar: number;
  bitsPerChar: number;
}

const NAMES: readonly (readonly [string, 'he' | 'she'])[] = [
  ['Tom', 'he'],
  ['Lily', 'she'],
  ['Ben', 'he'],
  ['Mia', 'she'],
  ['Sam', 'he'],
  ['Anna', 'she'],
  ['Max', 'he'],
  ['Lucy', 'she'],
  ['Jack', 'he'],
  ['Emma', 'she'],
  ['Leo', 'he'],
  ['Zoe', 'she'],
  ['Finn', 'he'],
  ['Rosa', 'she'],
  ['Oscar', 'he'],
  ['Ivy', 'she'],
  ['Hugo', 'he'],
  ['Nora', 'she'],
  ['Eli', 'he'],
  ['Ruby', 'she'],
  ['Kai', 'he'],
  ['Lena', 'she'],
  ['Omar', 'he'],
  ['Tara', 'she'],
];
const PLACES = [
  'park',
  'beach',
  'forest',
  'garden',
  'farm',
  'lake',
  'hill',
  'market',
  'school',
  'river',
  'zoo',
  'field',
  'pond',
  'meadow',
  'town square',
  'playground',
];
const PLACE_ADJ = ['sunny', 'quiet', 'big', 'busy', 'green', 'pretty', 'windy', 'little'];
const OBJECTS = [
  'ball',
  'kite',
  'doll',
  'boat',
  'hat',
  'book',
  'drum',
  'car',
  'bike',
  'cup',
  'toy bear',
  'box',
  'robot',
  'train',
  'scarf',
  'shoe',
  'balloon',
  'umbrella',
  'flute',
  'puzzle',
];
const ADJECTIVES = [
  'red',
  'blue',
  'green',
  'yellow',
  'big',
  'small',
  'shiny',
  'soft',
  'new',
  'old',
  'orange',
  'purple',
  'tiny',
  'funny',
  'pink',
  'little',
];
const HIDING = ['a bush', 'a rock', 'the bench', 'a big leaf', 'the sand', 'a log', 'a table', 'the slide'];
const PLAY_VERBS = ['watched', 'chased', 'drew', 'found', 'counted', 'fed', 'looked at', 'sang to'];
const PLAY_THINGS = [
  'the birds',
  'some ducks',
  'a little frog',
  'the clouds',
  'the flowers',
  'a butterfly',
  'the fish',
  'a cat',
  'a puppy',
  'the bees',
];
const WEATHER = ['sunny', 'windy', 'cold', 'warm', 'rainy', 'bright'];
const TIMES = ['day', 'morning', 'afternoon'];
const FEELINGS_SAD = ['sad', 'upset', 'worried', 'scared', 'very sad'];
const FEELINGS_HAPPY = ['happy', 'glad', 'very happy', 'so happy', 'full of joy'];
const COMFORT = ['Do not worry', 'Do not be sad', 'It is okay', 'Do not cry'];
const HOBBIES = [
  'draw',
  'sing',
  'dance',
  'read',
  'run',
  'swim',
  'climb trees',
  'bake cakes',
  'play music',
  'build things',
];
const WHERE = ['near the water', 'under a tree', 'by the path', 'on the grass', 'behind a wall', 'in the shade'];
const MORALS = [
  'friends help each other',
  'it is good to share',
  'being kind is important',
  'you should never give up',
  'a good friend is a treasure',
];

/** 'a' or 'an' before a word (a function of the word: no choice, no entropy). */
const article = (w: string): string => (/^[aeiou]/.test(w) ? 'an' : 'a');

/** Draws choices and keeps the running −log p. */
class Chooser {
  nats = 0;
  constructor(private readonly rng: Rng) {}
  /** One of n items, uniformly. */
  pick<T>(items: readonly T[]): T {
    this.nats += Math.log(items.length);
    const item = items[this.rng.int(items.length)];
    if (item === undefined) throw new Error('Chooser.pick: nothing to pick from');
    return item;
  }
  /** True with probability p. */
  chance(p: number): boolean {
    const yes = this.rng.next() < p;
    this.nats -= Math.log(yes ? p : 1 - p);
    return yes;
  }
}

function story(c: Chooser): string {
  const [hero, he] = c.pick(NAMES);
  const [friend, fhe] = c.pick(NAMES.filter(([n]) => n !== hero));
  const He = he === 'he' ? 'He' : 'She',
    his = he === 'he' ? 'his' : 'her';
  const kid = he === 'he' ? 'boy' : 'girl',
    fHe = fhe === 'he' ? 'He' : 'She';
  const s: string[] = [];
  const adj = c.pick(ADJECTIVES),
    obj = c.pick(OBJECTS);
  const thing = `${article(adj)} ${adj} ${obj}`;
  const open = c.pick([0, 1, 2, 3]);
  if (open === 0) s.push(`Once upon a time, there was a little ${kid} named ${hero}.`, `${He} had ${thing}.`);
  else if (open === 1) s.push(`${hero} was a little ${kid} who had ${thing}.`);
  else if (open === 2) s.push(`There was a ${kid} called ${hero}. ${hero} had ${thing}.`);
  else s.push(`${hero} got ${thing} for ${his} birthday.`);
  if (c.chance(0.5))
    s.push(
      `${He} liked to ${c.pick(HOBBIES)}${c.chance(0.5) ? ` with ${his} ${c.pick(['mom', 'dad', 'sister', 'brother', 'grandma', 'dog'])}` : ''}.`,
    );
  if (c.chance(0.5))
    s.push(
      c.pick([
        `${He} loved the ${obj} very much.`,
        `The ${obj} was ${his} favorite thing.`,
        `${He} took the ${obj} everywhere.`,
      ]),
    );
  if (c.chance(0.5)) s.push(`It was a ${c.pick(WEATHER)} ${c.pick(TIMES)}.`);
  const placeAdj = c.pick(PLACE_ADJ),
    place = c.pick(PLACES);
  s.push(`${hero} went to the ${placeAdj} ${place} with ${his} friend ${friend}.`);
  for (let plays = 0; plays < 4 && c.chance(plays === 0 ? 0.7 : 0.5); plays++) {
    const where = c.chance(0.5) ? ` ${c.pick(WHERE)}` : '';
    s.push(`${plays === 0 ? 'They' : 'Then they'} ${c.pick(PLAY_VERBS)} ${c.pick(PLAY_THINGS)}${where}.`);
  }
  const problem = c.pick(['lost', 'broken', 'stuck']);
  const sad = c.pick(FEELINGS_SAD) + (c.chance(0.3) ? ` and began to ${c.pick(['cry', 'sob', 'sniff'])}` : '');
  if (problem === 'lost') {
    s.push(`But then ${hero} could not find the ${obj}. ${He} was ${sad}.`);
    s.push(`${friend} said, "${c.pick(COMFORT)}, ${hero}. I will help you look."`);
    s.push(`They looked and looked. At last ${friend} found the ${obj} under ${c.pick(HIDING)}.`);
  } else if (problem === 'broken') {
    s.push(`But then the ${obj} fell and broke. ${hero} was ${sad}.`);
    s.push(
      `${friend} said, "${c.pick(COMFORT)}, ${hero}. I can fix it." ${fHe} ${c.pick(['got some glue', 'used some tape', 'tied it with string'])} and fixed the ${obj}.`,
    );
  } else {
    s.push(`But then the wind blew the ${obj} up into a tall tree. ${hero} was ${sad}.`);
    s.push(
      `${friend} ${c.pick(['got a long stick', 'climbed the tree', 'shook the tree'])}, and the ${obj} came down.`,
    );
  }
  const end = c.pick([0, 1, 2, 3]);
  if (end === 0) s.push(`${hero} was ${c.pick(FEELINGS_HAPPY)} again. ${He} said, "Thank you, ${friend}!"`);
  else if (end === 1) s.push(`${hero} hugged ${friend}. They went home together.`);
  else if (end === 2) s.push(`From that day on, ${hero} took good care of ${his} ${obj}.`);
  else s.push(`${hero} and ${friend} played with the ${obj} until the sun went down.`);
  if (c.chance(0.3)) s.push(`${hero} learned that ${c.pick(MORALS)}.`);
  return s.join(' ') + '\n';
}

/** Generates stories until the text reaches `targetChars`. Same seed, same text and figures. */
export function generateStories(opts: StoriesOptions = {}): StoriesCorpus {
  const target = opts.targetChars ?? 300_000;
  const c = new Chooser(new Rng(opts.seed ?? 1, 0x5107));
  const parts: string[] = [];
  const storyChars: number[] = [],
    storyNats: number[] = [];
  let chars = 0,
    nats = 0;
  while (chars < target) {
    const before = c.nats;
    const t = story(c);
    parts.push(t);
    storyChars.push(t.length);
    storyNats.push(c.nats - before);
    chars += t.length;
    nats += c.nats - before;
  }
  return {
    text: parts.join(''),
    storyChars,
    storyNats,
    chars,
    nats,
    natsPerChar: nats / chars,
    bitsPerChar: nats / chars / Math.LN2,
  };
}

export interface StoriesSplit {
  train: string;
  val: string;
  /** The generator's entropy on the validation stories only. */
  valNatsPerChar: number;
  valBitsPerChar: number;
}

/** Splits at a story boundary: the last ~valFraction of the characters become validation. */
export function splitStories(corpus: StoriesCorpus, valFraction = 0.1): StoriesSplit {
  if (!(valFraction > 0 && valFraction < 1))
    throw new RangeError(`splitStories: valFraction ${valFraction} must be in (0, 1)`);
  let k = corpus.storyChars.length,
    valChars = 0,
    valNats = 0;
  while (k > 1 && valChars < valFraction * corpus.chars) {
    k--;
    valChars += corpus.storyChars[k]!; // k in [1, storyChars.length)
    valNats += corpus.storyNats[k]!;
  }
  const cut = corpus.chars - valChars;
  return {
    train: corpus.text.slice(0, cut),
    val: corpus.text.slice(cut),
    valNatsPerChar: valNats / valChars,
    valBitsPerChar: valNats / valChars / Math.LN2,
  };
}
