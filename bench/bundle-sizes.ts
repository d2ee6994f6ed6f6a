/**
 * Bundle sizes of the Lambda functions, built as serverless.yml's esbuild block builds them
 * (bundle, minify, keepNames, node24, cjs), once with the AWS SDK inside (what a bundle would
 * weigh on a runtime without it) and once with `@aws-sdk/*` left out (as deployed: the nodejs24.x
 * runtime ships it). Not part of npm test.
 *
 *   npm run bench:bundle
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';

const FUNCTIONS_DIR = join(__dirname, '..', 'functions');

async function bytes(entry: string, external: string[]): Promise<number> {
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    minify: true,
    keepNames: true,
    platform: 'node',
    target: 'node24',
    format: 'cjs',
    external,
    write: false,
    logLevel: 'silent',
  });
  return result.outputFiles.reduce((sum, file) => sum + file.contents.byteLength, 0);
}

/** One function's bundle: with the AWS SDK inside, and as deployed (`@aws-sdk/*` external). */
export interface BundleSize {
  name: string;
  withSdk: number;
  deployed: number;
}

/** The bundle sizes of every function in functions/, by name (the README quotes them; a test compares). */
export async function bundleSizes(): Promise<BundleSize[]> {
  const entries = readdirSync(FUNCTIONS_DIR)
    .filter((f) => f.endsWith('.ts'))
    .sort();
  const sizes: BundleSize[] = [];
  for (const file of entries) {
    const entry = join(FUNCTIONS_DIR, file);
    sizes.push({
      name: file.replace(/\.ts$/, ''),
      withSdk: await bytes(entry, []),
      deployed: await bytes(entry, ['@aws-sdk/*']),
    });
  }
  return sizes;
}

async function main(): Promise<void> {
  console.log('| function | with the AWS SDK (bytes) | as deployed, @aws-sdk/* external (bytes) |');
  console.log('|---|---:|---:|');
  for (const { name, withSdk, deployed } of await bundleSizes())
    console.log(`| ${name} | ${withSdk.toLocaleString('en-US')} | ${deployed.toLocaleString('en-US')} |`);
}

if (require.main === module)
  main().catch((err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  });
