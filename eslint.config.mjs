import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/**
 * What each part of lib/ may import: a part is a folder of lib/ or a module at its top
 * (`policy/plan`: that one module of a part). An import of any other part fails the lint, so the
 * layering stays as docs/ARCHITECTURE.md draws it.
 * functions/ may import lib/lambda only; bench/, scripts/ and test/ may import anything.
 */
// prettier-ignore
const LAYERS = {
  lambda: ['archive', 'config', 'deps', 'engine', 'errors', 'lease', 'logger', 'model', 'policy', 'time', 'webhook', 'zod-issues'],
  cli: ['audit', 'collect', 'config', 'deps', 'engine', 'errors', 'logger', 'model', 'policy', 'simulator', 'time', 'vpcep'],
  deps: ['audit', 'config', 'engine', 'lease', 'logger', 'model', 'time', 'vpcep', 'webhook'],
  archive: ['audit', 'logger', 'time', 'zod-issues'],
  engine: ['audit', 'collect', 'lease', 'logger', 'model', 'policy', 'time', 'vpcep/operations'],
  simulator: ['errors', 'model', 'strings', 'time', 'vpcep', 'zod-issues'],
  config: ['errors', 'logger', 'model', 'vpcep', 'zod-issues'],
  webhook: ['errors', 'lease', 'time', 'zod-issues'],
  audit: ['backoff', 'errors', 'model', 'policy/plan'],
  vpcep: ['backoff', 'errors', 'logger', 'model', 'time', 'zod-issues'],
  policy: ['errors', 'model', 'strings', 'zod-issues'],
  lease: ['errors', 'time'],
  backoff: [],
  collect: [],
  errors: [],
  logger: ['time'],
  model: [],
  strings: [],
  time: [],
  'zod-issues': [],
};
const PARTS = Object.keys(LAYERS);
const entries = readdirSync(join(import.meta.dirname, 'lib'), { withFileTypes: true });
const FOLDERS = entries.filter((e) => e.isDirectory()).map((e) => e.name);
// A new part of lib/ gets its line above before anything else: unlisted, nothing would check it.
const unlisted = entries.map((e) => e.name.replace(/\.ts$/, '')).filter((name) => !PARTS.includes(name));
if (unlisted.length) throw new Error(`eslint.config.mjs: add lib/${unlisted.join(', lib/')} to LAYERS`);

/** A no-restricted-imports block: files whose relative path to lib/ is `up`, refused the parts not in `allowed`. */
function layer(files, up, name, allowed) {
  // `policy/plan` allows that one module of a part and nothing else of it.
  const only = (part) => allowed.filter((a) => a.startsWith(`${part}/`)).map((a) => a.slice(part.length + 1));
  const refused = PARTS.filter((p) => p !== name && !allowed.includes(p)).map((p) =>
    only(p).length ? `${p}(?!\\/(?:${only(p).join('|')})$)` : p,
  );
  const escaped = up.replaceAll('.', '\\.').replaceAll('/', '\\/');
  return {
    files,
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: `^${escaped}(${refused.join('|')})(\\/|$)`,
              message: allowed.length
                ? `${name} may import only ${allowed.join(', ')} (docs/ARCHITECTURE.md).`
                : `${name} imports no other part of lib/ (docs/ARCHITECTURE.md).`,
            },
          ],
        },
      ],
    },
  };
}

const layers = [
  ...Object.entries(LAYERS).flatMap(([name, allowed]) =>
    FOLDERS.includes(name)
      ? [
          layer([`lib/${name}/*.ts`], '../', name, allowed),
          layer([`lib/${name}/*/*.ts`], '../../', name, allowed),
          layer([`lib/${name}/*/*/*.ts`], '../../../', name, allowed),
        ]
      : [layer([`lib/${name}.ts`], './', name, allowed)],
  ),
  layer(['functions/*.ts'], '../lib/', 'functions', ['lambda']),
];

export default tseslint.config(
  { ignores: ['node_modules/', 'coverage/', '.serverless/', '.esbuild/', 'out/', 'bin/'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    files: ['**/*.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
  },
  {
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      // An async function without await is how an in-memory store or a fake implements a
      // Promise-returning interface and still turns a throw into a rejection.
      '@typescript-eslint/require-await': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'off',
    },
  },
  ...layers,
  {
    // The layering above and dpdm see import declarations only: a module of the project is
    // imported with one, never with import() or an import('...') type.
    files: ['lib/**/*.ts', 'functions/*.ts', 'bench/*.ts', 'scripts/*.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        {
          selector: 'ImportExpression[source.value=/^\\./]',
          message:
            'import a module of the project with an import declaration (the layering and cycle checks see only those)',
        },
        {
          selector: 'TSImportType[argument.literal.value=/^\\./]',
          message: 'import a type of the project with `import type` (the layering and cycle checks see only those)',
        },
      ],
    },
  },
  {
    files: ['test/**/*.ts'],
    rules: {
      // Jest's asymmetric matchers (expect.stringMatching, expect.any...) are typed `any`: placing
      // one in an expected object is the point of them, not an unsafe assignment.
      '@typescript-eslint/no-unsafe-assignment': 'off',
    },
  },
  // Plain JavaScript (configs, the bin shim) is outside tsconfig: no type information for it.
  { files: ['**/*.js', '**/*.cjs', '**/*.mjs'], ...tseslint.configs.disableTypeChecked },
  {
    files: ['**/*.js', '**/*.cjs'],
    languageOptions: {
      sourceType: 'commonjs',
      globals: { require: 'readonly', module: 'writable', process: 'readonly', __dirname: 'readonly' },
    },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
