// The browser that npm brings: the optional dependency @sparticuz/chromium ships a Chromium
// headless shell (brotli-compressed) with SwiftShader's Vulkan beside it, so a machine with only
// Node and npm can run WebGPU. We do not run that package's code (it unpacks into a shared
// /tmp/chromium that it never checks against its version); we unpack its files ourselves into
// node_modules/.cache/shadergrad/chromium-<version>/, once, atomically (a temporary folder
// renamed into place), and hand back the binary and the environment it needs.
//
// Layout of the unpacked folder: chromium (the binary), libvk_swiftshader.so,
// vk_swiftshader_icd.json, libvulkan.so.1, libEGL.so, libGLESv2.so (these must sit beside the
// binary), lib/ (libnss3, libnspr4, libexpat copies for systems that lack them), fonts/ with our
// own fonts.conf, and .complete (written last).
import {
  createReadStream,
  createWriteStream,
  existsSync,
  mkdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
  chmodSync,
} from 'node:fs';
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { pipeline } from 'node:stream/promises';
import { brotliDecompressSync, createBrotliDecompress } from 'node:zlib';
import path from 'node:path';

export const BUNDLED_PACKAGE = '@sparticuz/chromium';

export interface BundledChromium {
  /** The package's version (its Chromium major is the same number). */
  version: string;
  executablePath: string;
  /** Environment additions the binary needs here (LD_LIBRARY_PATH, FONTCONFIG_PATH), possibly none. */
  env: Record<string, string>;
}

/** The package folder, or null when npm did not install it (another platform, --omit=optional). */
export function bundledPackageDir(root: string): string | null {
  try {
    const entry = createRequire(path.join(root, 'package.json')).resolve(BUNDLED_PACKAGE);
    // the entry is build/<format>/index.*; the package root is the folder that holds bin/
    for (let dir = path.dirname(entry); dir !== path.dirname(dir); dir = path.dirname(dir)) {
      if (existsSync(path.join(dir, 'bin', 'chromium.br'))) return dir;
    }
    return null;
  } catch {
    return null;
  }
}

/** The files of a tar archive (ustar / GNU: regular files and folders; links are refused). */
export function* tarEntries(tar: Uint8Array): Generator<{ name: string; mode: number; data: Uint8Array | null }> {
  const text = (a: number, b: number): string => {
    const s = Buffer.from(tar.subarray(a, b)).toString('latin1');
    const nul = s.indexOf('\0');
    return nul >= 0 ? s.slice(0, nul) : s;
  };
  for (let off = 0; off + 512 <= tar.length;) {
    const name = text(off, off + 100);
    if (name === '') return; // the two zero blocks that end the archive
    const mode = parseInt(text(off + 100, off + 108).trim() || '644', 8);
    const size = parseInt(text(off + 124, off + 136).trim() || '0', 8);
    const type = text(off + 156, off + 157) || '0';
    const prefix = text(off + 257, off + 259) === 'us' ? text(off + 345, off + 500) : '';
    const full = prefix ? `${prefix}/${name}` : name;
    if (!Number.isSafeInteger(size) || off + 512 + size > tar.length)
      throw new Error(`tar: entry "${full}" runs past the archive's end`);
    if (full.split('/').includes('..') || path.isAbsolute(full))
      throw new Error(`tar: entry "${full}" points outside the folder`);
    if (type === '0' || type === '\0') yield { name: full, mode, data: tar.subarray(off + 512, off + 512 + size) };
    else if (type === '5') yield { name: full, mode, data: null };
    else if (type !== 'x' && type !== 'g') throw new Error(`tar: entry "${full}" has unsupported type "${type}"`);
    off += 512 + Math.ceil(size / 512) * 512;
  }
}

function unpackTarBr(file: string, into: string): void {
  for (const e of tarEntries(brotliDecompressSync(readFileSync(file)))) {
    const dest = path.join(into, e.name);
    if (e.data === null) mkdirSync(dest, { recursive: true });
    else {
      mkdirSync(path.dirname(dest), { recursive: true });
      writeFileSync(dest, e.data, { mode: e.mode & 0o777 });
    }
  }
}

/** Libraries the binary cannot find on this system (from `ldd`), e.g. ['libnss3.so']. */
function missingLibraries(binary: string): string[] {
  try {
    const out = execFileSync('ldd', [binary], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    return out
      .split('\n')
      .filter((l) => l.includes('not found'))
      .map((l) => l.trim().split(/\s+/)[0]!);
  } catch {
    return ['(ldd failed)'];
  }
}

async function unpack(pkgDir: string, dest: string): Promise<void> {
  const tmp = `${dest}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  const bin = path.join(pkgDir, 'bin');
  await pipeline(
    createReadStream(path.join(bin, 'chromium.br')),
    createBrotliDecompress(),
    createWriteStream(path.join(tmp, 'chromium')),
  );
  chmodSync(path.join(tmp, 'chromium'), 0o755);
  unpackTarBr(path.join(bin, 'swiftshader.tar.br'), tmp);
  if (existsSync(path.join(bin, 'al2023.tar.br'))) unpackTarBr(path.join(bin, 'al2023.tar.br'), tmp);
  if (existsSync(path.join(bin, 'fonts.tar.br'))) {
    unpackTarBr(path.join(bin, 'fonts.tar.br'), tmp);
    // the package's fonts.conf names /tmp folders; ours names the fonts unpacked here
    const fonts = path.join(tmp, 'fonts');
    writeFileSync(path.join(fonts, 'fonts.conf'), fontsConf(path.join(dest, 'fonts')));
  }
  writeFileSync(path.join(tmp, '.complete'), `${new Date().toISOString()}\n`);
  rmSync(dest, { recursive: true, force: true });
  try {
    renameSync(tmp, dest);
  } catch (e) {
    // another process unpacked it first: keep theirs
    rmSync(tmp, { recursive: true, force: true });
    if (!existsSync(path.join(dest, '.complete'))) throw e;
  }
}

function fontsConf(dir: string): string {
  return `<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "fonts.dtd">\n<fontconfig>\n  <dir>${dir}</dir>\n  <cachedir>${dir}/cache</cachedir>\n</fontconfig>\n`;
}

/**
 * The bundled Chromium, unpacked on first use (about 10 s, then cached). Throws with what to
 * install when the package is absent or this is not linux-x64 (the only platform it ships).
 */
export async function bundledChromium(root: string): Promise<BundledChromium> {
  const pkgDir = bundledPackageDir(root);
  if (!pkgDir) {
    const where = `${process.platform}-${process.arch}`;
    throw new Error(
      where === 'linux-x64'
        ? `the bundled browser (${BUNDLED_PACKAGE}, an optional dependency) is not installed: run \`npm ci\` (without --omit=optional)`
        : `no bundled browser for ${where} (${BUNDLED_PACKAGE} ships linux-x64 only)`,
    );
  }
  const version = (JSON.parse(readFileSync(path.join(pkgDir, 'package.json'), 'utf8')) as { version: string }).version;
  const dest = path.join(root, 'node_modules', '.cache', 'shadergrad', `chromium-${version}`);
  if (!existsSync(path.join(dest, '.complete'))) {
    console.error(`browser: unpacking ${BUNDLED_PACKAGE} ${version} into ${path.relative(root, dest)} (once)`);
    await unpack(pkgDir, dest);
  }
  const executablePath = path.join(dest, 'chromium');
  const env: Record<string, string> = {};
  if (missingLibraries(executablePath).length) {
    env.LD_LIBRARY_PATH = [path.join(dest, 'lib'), process.env.LD_LIBRARY_PATH].filter(Boolean).join(':');
  }
  if (
    !process.env.FONTCONFIG_PATH &&
    !existsSync('/etc/fonts/fonts.conf') &&
    existsSync(path.join(dest, 'fonts', 'fonts.conf'))
  ) {
    env.FONTCONFIG_PATH = path.join(dest, 'fonts');
  }
  return { version, executablePath, env };
}
