// Tests run TypeScript through SWC. A few dependencies ship only ES modules
// (middy, node-fetch and its helpers); they are transformed to CommonJS too.
const esmOnly = [
  '@middy',
  'node-fetch',
  'data-uri-to-buffer',
  'fetch-blob',
  'formdata-polyfill',
  'p-limit',
  'yocto-queue',
];

/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: {
    '^.+\\.(t|j|mj)s$': ['@swc/jest', { jsc: { target: 'es2024' }, module: { type: 'commonjs' } }],
  },
  transformIgnorePatterns: [`/node_modules/(?!(${esmOnly.join('|')})/)`],
  // middy's package exports offer only an "import" condition, which jest's require-based
  // resolver does not match: point at the entry file (then transformed like the rest).
  moduleNameMapper: { '^@middy/([a-z-]+)$': '<rootDir>/node_modules/@middy/$1/index.js' },
  testTimeout: 30000,
};
