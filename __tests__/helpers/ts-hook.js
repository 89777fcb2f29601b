/**
 * Lets a child process that a test spawns run TypeScript sources (the library's `lib/` and the helper
 * scripts) the way jest does: `node -r ./__tests__/helpers/ts-hook.js script.ts`. Transpile only, no
 * type check (`npm run typecheck` does that), so tests of several processes use the source, not `dist/`.
 * Outputs are cached on disk by content hash, so that the processes a test starts do not each load the
 * TypeScript compiler.
 */
'use strict';
const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const cacheDir = path.join(os.tmpdir(), 'package-deployments-ts-hook');
let ts;

function transpile(source, filename) {
  const key = crypto.createHash('sha256').update(filename).update('\0').update(source).digest('hex');
  const cached = path.join(cacheDir, `${key}.js`);
  try {
    return fs.readFileSync(cached, 'utf8');
  } catch {
    // not cached yet
  }
  ts ??= require('typescript');
  const { outputText } = ts.transpileModule(source, {
    fileName: filename,
    compilerOptions: {
      module: ts.ModuleKind.CommonJS,
      target: ts.ScriptTarget.ES2022,
      esModuleInterop: true,
      inlineSourceMap: true,
    },
  });
  fs.mkdirSync(cacheDir, { recursive: true });
  const temporary = `${cached}.${process.pid}.tmp`;
  fs.writeFileSync(temporary, outputText);
  fs.renameSync(temporary, cached); // atomic: a process reading the cache never sees half a file
  return outputText;
}

require.extensions['.ts'] = function compileTypeScript(module, filename) {
  module._compile(transpile(fs.readFileSync(filename, 'utf8'), filename), filename);
};
