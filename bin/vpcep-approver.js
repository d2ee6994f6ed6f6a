#!/usr/bin/env node
// The CLI is TypeScript run directly through tsx, so `npx vpcep-approver` works right after
// `npm ci` with no build step. npm puts node_modules/.bin first on PATH, so `node` here is
// the pinned Node 24 of the `node` devDependency.
require('tsx/cjs');
require('../lib/cli/main.ts');
