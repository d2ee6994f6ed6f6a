import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * DESIGN.md "Pure core, I/O shell": nothing in lib/policy imports the file system, the network,
 * the API client or the audit sink, except load.ts, which reads the policy file (node:fs) and
 * hashes it (node:crypto).
 */
const DIR = join(__dirname, '../../../lib/policy');
const files = readdirSync(DIR).filter((f) => f.endsWith('.ts'));

function importsOf(file: string): string[] {
  const text = readFileSync(join(DIR, file), 'utf8');
  const specifiers = [
    ...text.matchAll(/(?:^|\n)\s*(?:import|export)\s[^;]*?from\s+['"]([^'"]+)['"]/g),
    ...text.matchAll(/(?:require|import)\(\s*['"]([^'"]+)['"]\s*\)/g),
  ];
  return specifiers.map((m) => m[1]!);
}

const FORBIDDEN = [
  /^(node:)?(fs|fs\/promises|net|http|https|http2|dgram|tls|child_process)$/,
  /(^|\/)vpcep(\/|$)/,
  /(^|\/)audit(\/|$)/,
  /^node-fetch$/,
  /^@aws-sdk\//,
];

describe('lib/policy purity', () => {
  it('finds the modules it checks, imports included', () => {
    expect(files).toEqual(expect.arrayContaining(['evaluate.ts', 'drift.ts', 'schema.ts', 'load.ts']));
    expect(importsOf('evaluate.ts')).toContain('./drift');
  });

  it.each(files.filter((f) => f !== 'load.ts'))('%s imports no I/O, client or audit module', (file) => {
    const bad = importsOf(file).filter(
      (spec) => FORBIDDEN.some((re) => re.test(spec)) || spec === 'node:crypto' || spec === 'crypto',
    );
    expect(bad).toEqual([]);
  });

  it('load.ts uses only node:fs and node:crypto of the I/O modules', () => {
    const io = importsOf('load.ts').filter((spec) => spec.startsWith('node:') || FORBIDDEN.some((re) => re.test(spec)));
    expect(io.sort()).toEqual(['node:crypto', 'node:fs/promises']);
  });
});
