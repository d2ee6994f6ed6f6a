import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// deploy/stage-checks.js, the osls plugin that fails `serverless package` of a stage that could
// not work (test/integration/serverless-package.test.ts packages once with it for real).
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { stageProblems, validateWithCli } = require('../../../deploy/stage-checks.js') as {
  stageProblems: (input: {
    stage: string;
    checks: Record<string, unknown>;
    validatePolicy: (file: string) => string | undefined;
  }) => string[];
  validateWithCli: (serviceDir: string) => (file: string) => string | undefined;
};

const ROOT = join(__dirname, '../../..');
const valid = () => undefined;

describe('deploy/stage-checks.js', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'vpcep-stage-checks-'));
    writeFileSync(
      join(dir, 'bad.yaml'),
      'version: 1\nservices:\n  - rule: r\n    match: { id: x }\n    allow:\n      - group: nosuch\n',
    );
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('refuses a non-local stage without a project id, naming the param', () => {
    expect(
      stageProblems({
        stage: 'prod',
        checks: { projectId: '', projectIdParam: 'huaweiProjectId' },
        validatePolicy: valid,
      }),
    ).toEqual([
      'stage prod has no target: set params.prod.huaweiProjectId in serverless.yml (or export HUAWEICLOUD_SDK_PROJECT_ID before packaging)',
    ]);
    expect(stageProblems({ stage: 'prod', checks: { projectId: 'not a project!' }, validatePolicy: valid })[0]).toMatch(
      /params\.prod\.huaweiProjectId "not a project!" is not a project id/,
    );
  });

  it('lets the local stage package without anything, and a stage with a project id and a valid policy', () => {
    expect(stageProblems({ stage: 'local', checks: {}, validatePolicy: () => 'never asked' })).toEqual([]);
    expect(
      stageProblems({
        stage: 'dev',
        checks: { projectId: '0a1b2c3d4e5f60718293a4b5c6d7e8f9', policyFile: 'policies/policy.yaml' },
        validatePolicy: validateWithCli(ROOT),
      }),
    ).toEqual([]);
  });

  it('refuses an invalid bundled policy with every problem the validator prints', () => {
    const problems = stageProblems({
      stage: 'dev',
      checks: { projectId: 'p1', policyFile: join(dir, 'bad.yaml') },
      validatePolicy: validateWithCli(ROOT),
    });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^stage dev: the bundled policy \(param policyFileEnv\) is invalid:\n/);
    expect(problems[0]).toContain('services[0].allow[0].group: unknown group');
  }, 30_000);
});
