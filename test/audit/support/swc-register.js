// Lets a child `node -r ./test/audit/support/swc-register.js src/main.ts` run the TypeScript sources
// directly, compiled in memory by @swc/core (a dev dependency), so child-process tests need no build.
const fs = require('node:fs');
const swc = require('@swc/core');

require.extensions['.ts'] = (module, filename) => {
  const { code } = swc.transformSync(fs.readFileSync(filename, 'utf8'), {
    filename,
    sourceMaps: 'inline',
    module: { type: 'commonjs' },
    jsc: { target: 'es2022', parser: { syntax: 'typescript' } },
  });
  module._compile(code, filename);
};
