/** Tests run the TypeScript sources directly through swc; `tsc --noEmit` (npm test) does the type check. */
// hyparquet, hyparquet-writer, jose and the OpenAPI validator are published only as ES modules: Node requires them as they are,
// but jest's module loader does not, so swc turns them into CommonJS for the tests.
const ESM_ONLY = ['hyparquet', 'hyparquet-writer', 'jose', '@seriousme/openapi-schema-validator'];
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: {
    '^.+\\.ts$': ['@swc/jest', { jsc: { target: 'es2022' } }],
    [`/node_modules/(${ESM_ONLY.join('|')})/.+\\.js$`]: ['@swc/jest', { jsc: { target: 'es2022' }, module: { type: 'commonjs' } }],
  },
  transformIgnorePatterns: [`/node_modules/(?!(${ESM_ONLY.join('|')})/)`],
  testTimeout: 30000,
};
