// A second look at JSON text that JSON.parse has already accepted, for what JSON.parse hides:
// duplicate keys (it silently keeps the last one) and numbers that are not plain non-negative
// integers (it turns "1.0", "1e3" and "-0" into ordinary numbers). Safetensors headers hold
// numbers only in `shape` and `data_offsets`, which are unsigned integers (`usize` in the
// reference implementation), so any other spelling marks a malformed header.
//
// The scan is iterative (no recursion, so any nesting depth is safe) and linear in the text.
// It assumes valid JSON: call it only on text that JSON.parse accepted.

export type JsonProblem =
  { kind: 'duplicate-key'; key: string; path: string[] } | { kind: 'bad-number'; token: string; path: string[] };

interface Frame {
  keys: Set<string> | null; // null for arrays
  key: string | undefined; // the key whose value is being read, in an object
}

const PLAIN_UINT = /^(0|[1-9][0-9]*)$/;

function isNumberChar(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || c === 0x2d || c === 0x2b || c === 0x2e || c === 0x65 || c === 0x45;
}

/** Keys of the enclosing objects, outermost first (array levels are skipped). */
function pathOf(frames: Frame[], depth: number): string[] {
  const path: string[] = [];
  for (let i = 0; i < depth; i++) {
    const f = frames[i]!;
    if (f.keys !== null && f.key !== undefined) path.push(f.key);
  }
  return path;
}

/** The first duplicate key or non-plain-integer number in `text`, or undefined if there is none. */
export function findJsonProblem(text: string): JsonProblem | undefined {
  const frames: Frame[] = [];
  let expectKey = false;
  const len = text.length;
  let i = 0;
  while (i < len) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      // a string: find its closing quote, skipping escapes
      let j = i + 1;
      let escaped = false;
      while (j < len) {
        const d = text.charCodeAt(j);
        if (d === 0x5c) {
          escaped = true;
          j += 2;
        } else if (d === 0x22) break;
        else j++;
      }
      if (expectKey) {
        // compare decoded keys: "a" and "\u0061" are the same key
        const key = escaped ? (JSON.parse(text.slice(i, j + 1)) as string) : text.slice(i + 1, j);
        const f = frames[frames.length - 1]!;
        if (f.keys!.has(key)) return { kind: 'duplicate-key', key, path: pathOf(frames, frames.length - 1) };
        f.keys!.add(key);
        f.key = key;
        expectKey = false;
      }
      i = j + 1;
    } else if (c === 0x7b /* { */) {
      frames.push({ keys: new Set(), key: undefined });
      expectKey = true;
      i++;
    } else if (c === 0x5b /* [ */) {
      frames.push({ keys: null, key: undefined });
      expectKey = false;
      i++;
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
      frames.pop();
      expectKey = false;
      i++;
    } else if (c === 0x2c /* , */) {
      expectKey = frames.length > 0 && frames[frames.length - 1]!.keys !== null;
      i++;
    } else if (c === 0x2d || (c >= 0x30 && c <= 0x39)) {
      let j = i + 1;
      while (j < len && isNumberChar(text.charCodeAt(j))) j++;
      const token = text.slice(i, j);
      if (!PLAIN_UINT.test(token)) return { kind: 'bad-number', token, path: pathOf(frames, frames.length) };
      i = j;
    } else {
      i++; // whitespace, ':', and the letters of true / false / null
    }
  }
  return undefined;
}
