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

/** What both projects share: SWC, the ES-module dependencies, middy's entry files. */
const shared = {
  testEnvironment: 'node',
  transform: {
    '^.+\\.(t|j|mj)s$': ['@swc/jest', { jsc: { target: 'es2024' }, module: { type: 'commonjs' } }],
  },
  transformIgnorePatterns: [`/node_modules/(?!(${esmOnly.join('|')})/)`],
  // middy's package exports offer only an "import" condition, which jest's require-based
  // resolver does not match: point at the entry file (then transformed like the rest).
  moduleNameMapper: { '^@middy/([a-z-]+)$': '<rootDir>/node_modules/@middy/$1/index.js' },
};

/**
 * Two projects: `unit` (no network, seconds: `npm run test:unit` for the fast loop) and
 * `integration` (real HTTP to the simulator and the local SQS/DynamoDB servers). `npm test`
 * runs both.
 */
/** @type {import('jest').Config} */
module.exports = {
  // A global setting: jest reads it from here, not from a project.
  testTimeout: 30000,
  projects: [
    { ...shared, displayName: 'unit', roots: ['<rootDir>/test/unit'], testMatch: ['**/*.test.ts'] },
    { ...shared, displayName: 'integration', roots: ['<rootDir>/test/integration'], testMatch: ['**/*.test.ts'] },
  ],
};
