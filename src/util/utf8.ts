// Text files from users (corpora, label files, vocab.txt, questions): strict UTF-8 decoding, so
// a binary or mis-encoded file is refused with the byte offset of the problem instead of being
// read as U+FFFD replacement characters and trained on (a silent wrong result).
import { InputError } from './errors';

/**
 * Byte offset of the first byte that does not start or continue a well-formed UTF-8 sequence
 * (the Unicode "maximal subpart" rule: overlong forms, surrogates U+D800–DFFF and code points
 * past U+10FFFF are ill-formed), or −1 when all of `bytes` is valid UTF-8.
 */
export function firstInvalidUtf8(bytes: Uint8Array): number {
  const n = bytes.length;
  let i = 0;
  while (i < n) {
    const b = bytes[i]!;
    if (b < 0x80) {
      i++;
      continue;
    }
    // lead byte → sequence length and the allowed range of the second byte (Unicode table 3-7)
    let len: number;
    let lo = 0x80;
    let hi = 0xbf;
    if (b >= 0xc2 && b <= 0xdf) len = 2;
    else if (b >= 0xe0 && b <= 0xef) {
      len = 3;
      if (b === 0xe0) lo = 0xa0; // no overlongs
      if (b === 0xed) hi = 0x9f; // no surrogates
    } else if (b >= 0xf0 && b <= 0xf4) {
      len = 4;
      if (b === 0xf0) lo = 0x90; // no overlongs
      if (b === 0xf4) hi = 0x8f; // nothing past U+10FFFF
    } else return i;
    for (let k = 1; k < len; k++) {
      if (i + k >= n) return i; // cut off by the end of the file
      const c = bytes[i + k]!;
      if (k === 1 ? c < lo || c > hi : c < 0x80 || c > 0xbf) return i;
    }
    i += len;
  }
  return -1;
}

const fatal = new TextDecoder('utf-8', { fatal: true });

/**
 * Decode a user's text file, refusing (InputError, prefixed with `what`, e.g. "--corpus x.txt")
 * an empty or whitespace-only file, a binary one (a NUL byte) and one that is not UTF-8 (naming
 * the byte offset and the byte). A leading byte-order mark is dropped.
 */
export function decodeUtf8Text(what: string, bytes: Uint8Array): string {
  if (bytes.length === 0) throw new InputError(`${what}: the file is empty`);
  const nul = bytes.indexOf(0);
  if (nul >= 0) throw new InputError(`${what}: a binary file, not text (a NUL byte at offset ${nul})`);
  let text: string;
  try {
    text = fatal.decode(bytes);
  } catch {
    const at = Math.max(0, firstInvalidUtf8(bytes)); // the two agree; never index −1
    throw new InputError(
      `${what}: not UTF-8 text: byte 0x${bytes[at]!.toString(16).padStart(2, '0')} at offset ${at} does not start a valid UTF-8 sequence (convert it, e.g. iconv -t UTF-8)`,
    );
  }
  if (text.trim() === '') throw new InputError(`${what}: the file holds only whitespace`);
  return text;
}
