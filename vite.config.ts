// Vite serves the demos, the GPU test page and the benchmark page. Every page directory with an
// index.html under demos/ is a build input, so a new demo needs no change here.
import { defineConfig } from 'vite';
import { readdirSync, existsSync } from 'node:fs';
import { resolve } from 'node:path';

const root = __dirname;
const pages: Record<string, string> = { main: resolve(root, 'index.html') };
for (const d of readdirSync(resolve(root, 'demos'), { withFileTypes: true })) {
  const html = resolve(root, 'demos', d.name, 'index.html');
  if (d.isDirectory() && existsSync(html)) pages[d.name] = html;
}

export default defineConfig({
  root,
  build: { target: 'es2022', rollupOptions: { input: pages } },
  esbuild: { target: 'es2022' },
  optimizeDeps: {
    entries: ['index.html', 'demos/*/index.html', 'test/gpu/index.html'],
    include: [
      'wgsl_reflect/wgsl_reflect.module.js',
      '@tensorflow/tfjs-core',
      '@tensorflow/tfjs-core/dist/register_all_gradients',
      '@tensorflow/tfjs-backend-webgpu',
    ],
    esbuildOptions: { target: 'es2022' },
  },
  server: { fs: { strict: true } },
});
