// Files in and out of the fine-tuning page: the files a folder (or multi-file) picker gave,
// matched to the names the model loaders read (loosely: browsers rename repeated downloads
// "config (1).json") and read with progress by bytes; and a run's files offered as downloads.

/** Every file name the GPT and adapter loaders read; other files in a folder are never read. */
const KNOWN = [
  'config.json',
  'model.safetensors',
  'vocab.json',
  'merges.txt',
  'tokenizer.json',
  'optimizer.safetensors',
  'shadergrad.json',
  'adapter_config.json',
  'adapter_model.safetensors',
] as const;
/** Files only noted (never read: they can be large), so the loader can say what to convert. */
const NOTED = ['pytorch_model.bin', 'model.safetensors.index.json'] as const;

/** "config (1).json" → "config.json"; a name we do not read → null. */
export function knownName(name: string): string | null {
  const plain = name.replace(/ \(\d+\)(?=\.[^.]*$|$)/, '');
  return [...KNOWN, ...NOTED].find((n) => n === plain) ?? null;
}

/** Folder depth of a picked file ("gpt2/config.json" is 1; a plain pick 0). */
const depth = (f: File): number => (f.webkitRelativePath || f.name).split('/').length - 1;

/**
 * The files of `list` by loader name. From a folder the shallowest file of each name wins (a run
 * folder's merged/ copy does not replace its own files).
 */
export function pickFiles(list: ArrayLike<File>): Map<string, File> {
  const out = new Map<string, File>();
  for (const f of Array.from(list)) {
    const name = knownName(f.name);
    const had = name && out.get(name);
    if (name && (!had || depth(f) < depth(had))) out.set(name, f);
  }
  return out;
}

/** Read one file into memory chunk by chunk, reporting bytes read. */
async function readFile(f: File, onBytes: (n: number) => void): Promise<Uint8Array> {
  const out = new Uint8Array(f.size);
  const reader = f.stream().getReader();
  let at = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    out.set(value, at);
    at += value.length;
    onBytes(value.length);
  }
  if (at !== f.size) throw new Error(`${f.name}: read ${at} of ${f.size} bytes`);
  return out;
}

/** Read the picked files (noted ones as empty), calling `progress(done, total, name)` as bytes arrive. */
export async function readPicked(
  picked: Map<string, File>,
  progress: (done: number, total: number, name: string) => void,
): Promise<Record<string, Uint8Array>> {
  const read = [...picked].filter(([name]) => !(NOTED as readonly string[]).includes(name));
  const total = read.reduce((s, [, f]) => s + f.size, 0);
  let done = 0;
  const files: Record<string, Uint8Array> = {};
  for (const [name] of picked) if (!read.some(([n]) => n === name)) files[name] = new Uint8Array(0);
  for (const [name, f] of read) {
    progress(done, total, name);
    files[name] = await readFile(f, (n) => progress((done += n), total, name));
  }
  return files;
}

/** `1.2 MB`, `340 kB`, `12 B`. */
export function fmtBytes(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(2)} GB`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(1)} MB`;
  if (n >= 1e3) return `${Math.round(n / 1e3)} kB`;
  return `${n} B`;
}

/**
 * Links to `files` (one download each) in `box`, after a label; returns the links. Old links in
 * the box with the same `kind` are replaced and their blob URLs released.
 */
export function offerDownloads(
  box: HTMLElement,
  kind: string,
  label: string,
  files: Record<string, Uint8Array>,
  prefix = '',
): HTMLAnchorElement[] {
  for (const old of Array.from(box.querySelectorAll<HTMLElement>(`[data-kind="${kind}"]`))) {
    old.querySelectorAll('a').forEach((a) => URL.revokeObjectURL(a.href));
    old.remove();
  }
  const line = document.createElement('div');
  line.dataset.kind = kind;
  line.append(`${label}: `);
  const links = Object.entries(files).map(([name, bytes]) => {
    const a = document.createElement('a');
    a.href = URL.createObjectURL(new Blob([bytes as BlobPart]));
    a.download = prefix + name;
    a.dataset.file = name;
    a.textContent = `${name} (${fmtBytes(bytes.length)})`;
    return a;
  });
  line.append(...links);
  box.append(line);
  return links;
}

/** Click each link in turn (browsers may ask once whether the page may download several files). */
export function downloadAll(links: readonly HTMLAnchorElement[]): void {
  links.forEach((a, i) => setTimeout(() => a.click(), i * 200));
}
