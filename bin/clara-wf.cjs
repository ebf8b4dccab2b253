#!/usr/bin/env node
'use strict';
// Starts clara-wf: compiles the bundle (dist/clara-wf.cjs) with the V8 code
// cache made at build time (dist/clara-wf.code-cache, scripts/code-cache.mjs),
// so a command runs from bytecode instead of parsing and compiling ~400 KB
// first: 15-20 ms of a 60 ms `validate` here. A cache V8 rejects (another
// Node, a rebuilt bundle) costs nothing but that gain. Node 22's
// module.enableCompileCache() does the same; Node 20 has only vm.Script.
const fs = require('node:fs');
const path = require('node:path');
const Module = require('node:module');
const vm = require('node:vm');

const dist = path.join(__dirname, '..', 'dist');
const bundleFile = path.join(dist, 'clara-wf.cjs');
const cacheFile = path.join(dist, 'clara-wf.code-cache');

/** The bundle's exports, and the compiled script (to make a cache from). */
function loadBundle({ useCache = true } = {}) {
  let source;
  try {
    source = fs.readFileSync(bundleFile, 'utf8');
  } catch {
    process.stderr.write(`clara-wf: ${bundleFile} is missing: run \`npm ci\` (or \`npm run build\`) in ${path.dirname(__dirname)}\n`);
    process.exit(70);
  }
  let cachedData;
  if (useCache) {
    try {
      cachedData = fs.readFileSync(cacheFile);
    } catch {
      cachedData = undefined;
    }
  }
  // The bundle's import() calls go through __clara_import (src/adapters/import-package.ts):
  // in Node 20 a vm.Script has no module loader of its own.
  const wrapper = '(function (exports, require, module, __filename, __dirname, __clara_import) {' + source + '\n})';
  const script = new vm.Script(wrapper, { filename: bundleFile, cachedData });
  const mod = { exports: {}, filename: bundleFile, id: bundleFile, loaded: false };
  const importPackage = (specifier) => import(specifier);
  script.runInThisContext().call(mod.exports, mod.exports, Module.createRequire(bundleFile), mod, bundleFile, dist, importPackage);
  mod.loaded = true;
  return { exports: mod.exports, script, cacheAccepted: cachedData !== undefined && !script.cachedDataRejected };
}

module.exports = { loadBundle, bundleFile, cacheFile };

if (require.main === module) loadBundle().exports.runCli();
