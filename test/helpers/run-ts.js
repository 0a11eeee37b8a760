// `node test/helpers/run-ts.js <file.ts> [args...]`: runs a TypeScript entry point (the CLI) as if it
// were `node <file.js> [args...]`, compiling the sources on load (see swc-register.js).
'use strict';
require('./swc-register');
const path = require('node:path');

const file = path.resolve(process.argv[2]);
process.argv.splice(1, 2, file);
require(file);
