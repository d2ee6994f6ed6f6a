'use strict';
// A local osls plugin: deploy-time checks that make `serverless package` (and so `deploy`) of a
// non-local stage fail early, naming the param to fix, instead of packaging a stack whose
// functions would fail at cold start. Reads `custom.stageChecks` of serverless.yml.
const { spawnSync } = require('node:child_process');
const { join } = require('node:path');

/** Same rule as lib/config.ts for HUAWEICLOUD_SDK_PROJECT_ID. */
const PROJECT_ID = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * The problems of a stage's settings, as messages naming the param (empty when fine).
 * `validatePolicy(file)` returns the problems of the bundled policy file.
 */
function stageProblems({ stage, checks, validatePolicy }) {
  if (stage === 'local') return [];
  const problems = [];
  const param = checks.projectIdParam || 'huaweiProjectId';
  const projectId = checks.projectId === undefined || checks.projectId === null ? '' : String(checks.projectId);
  if (projectId === '') {
    problems.push(
      `stage ${stage} has no target: set params.${stage}.${param} in serverless.yml (or export HUAWEICLOUD_SDK_PROJECT_ID before packaging)`,
    );
  } else if (!PROJECT_ID.test(projectId)) {
    problems.push(
      `stage ${stage}: params.${stage}.${param} "${projectId}" is not a project id (letters, digits, "-" and "_")`,
    );
  }
  const policyProblems = validatePolicy(checks.policyFile || 'policies/policy.yaml');
  if (policyProblems)
    problems.push(`stage ${stage}: the bundled policy (param policyFileEnv) is invalid:\n${policyProblems}`);
  return problems;
}

/** Validates a policy file with the project's own CLI (`vpcep-approver validate`). */
function validateWithCli(serviceDir) {
  return (file) => {
    const result = spawnSync(process.execPath, [join(serviceDir, 'bin/vpcep-approver.js'), 'validate', file], {
      cwd: serviceDir,
      encoding: 'utf8',
      timeout: 60_000,
    });
    if (result.status === 0) return undefined;
    return (
      `${result.stdout || ''}${result.stderr || ''}`.trim() || `validate exited with ${result.status ?? result.signal}`
    );
  };
}

class StageChecks {
  constructor(serverless, options) {
    this.serverless = serverless;
    this.options = options;
    this.hooks = {
      'before:package:initialize': () => this.check(),
    };
  }

  check() {
    const { service } = this.serverless;
    const stage = this.options.stage || service.provider.stage;
    const checks = (service.custom && service.custom.stageChecks) || {};
    const problems = stageProblems({ stage, checks, validatePolicy: validateWithCli(this.serverless.serviceDir) });
    if (problems.length > 0) throw new this.serverless.classes.Error(problems.join('\n'));
  }
}

module.exports = StageChecks;
module.exports.stageProblems = stageProblems;
module.exports.validateWithCli = validateWithCli;
