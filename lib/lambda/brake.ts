import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';

import { Config, parseEnforce } from '../config';
import { createSsmClient } from '../deps';
import { ConfigError } from '../errors';
import { Logger } from '../logger';
import type { HandlerSetup } from './handler-setup';

export interface BrakeOptions {
  config: Pick<Config, 'controls' | 'enforceParameterName'>;
  /** The SSM client (created once per container; tests inject a fake). */
  ssm: () => Pick<SSMClient, 'send'>;
  logger: Logger;
}

/**
 * Whether this run may act (CONTRACT 1, "Brake and cap"): `VPCEP_ENFORCE` set to `false` turns
 * every run, scheduled or webhook, into a dry run without a redeploy. Deployed, the value lives
 * in the SSM parameter named by VPCEP_ENFORCE_PARAMETER and is read at every run, never cached,
 * so flipping it takes effect at the next run. A missing parameter means enforce, with a warning
 * in the logs (a deleted brake must not stop the schedules silently); a value VPCEP_ENFORCE would
 * refuse (anything but exactly `true` or `false`), or a parameter that cannot be read, fails the
 * run loudly instead of guessing.
 */
export async function readEnforce(options: BrakeOptions): Promise<boolean> {
  const { config, logger } = options;
  const name = config.enforceParameterName;
  if (!name) return config.controls.enforce;
  let value: string | undefined;
  try {
    const answer = await options.ssm().send(new GetParameterCommand({ Name: name }));
    value = answer.Parameter?.Value;
  } catch (err) {
    if ((err as { name?: string }).name === 'ParameterNotFound') {
      logger.warn('brake parameter not found: enforcing', { parameter: name });
      return true;
    }
    throw new ConfigError(
      `could not read SSM parameter ${name} (VPCEP_ENFORCE_PARAMETER): ${err instanceof Error ? err.message : String(err)}`,
      err,
    );
  }
  // The environment's own parser: the parameter accepts exactly what VPCEP_ENFORCE accepts.
  return parseEnforce(value, `SSM parameter ${name} (VPCEP_ENFORCE_PARAMETER)`);
}

/**
 * The brake of one container, for every function that changes anything (sweep, compliance, the
 * review webhook): reads it at each call (readEnforce), with one SSM client made on first use,
 * and warns in the logs when it is on.
 */
export function createBrake(setup: Pick<HandlerSetup, 'config' | 'ssmClient'>): (logger: Logger) => Promise<boolean> {
  let ssm: Pick<SSMClient, 'send'> | undefined;
  return async (logger) => {
    const enforce = await readEnforce({
      config: setup.config,
      logger,
      ssm: () => (ssm ??= createSsmClient(setup.ssmClient)),
    });
    if (!enforce) logger.warn('brake on (VPCEP_ENFORCE is false): this run is a dry run');
    return enforce;
  };
}
