import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { Command } from 'commander';

import { loadSimulatorSecretKey } from '../../config';
import { UsageError } from '../../errors';
import {
  generateState,
  LIMIT_UNITS,
  LIMITED_OPERATIONS,
  loadSimulatorStateFile,
  parseGenerateSpec,
  SIMULATOR_EXTENSIONS,
  startSimulator,
  type FaultOptions,
  type GatewayRate,
  type LimitUnit,
  type SimulatorExtension,
  type SimulatorState,
} from '../../simulator';
import type { OperationName } from '../../vpcep/operations';
import { CliContext, RegisterCommand } from '../context';
import { choiceOption, decimal, integer, optionParser, repeatable, wholeNumber } from '../options';

/** --extensions: a comma-separated list of the simulator's extensions (SIMULATOR_EXTENSIONS). */
const extensionList = optionParser(
  '--extensions',
  `a comma-separated list of ${SIMULATOR_EXTENSIONS.join(', ')}`,
  (text): SimulatorExtension[] | undefined => {
    const names = text.split(',').map((n) => n.trim());
    return names.every((n) => (SIMULATOR_EXTENSIONS as readonly string[]).includes(n))
      ? (names as SimulatorExtension[])
      : undefined;
  },
);

/** `N/second` or `N/minute` (N a positive integer); a bare N is per second unless `unitRequired`. */
function readRate(text: string, unitRequired: boolean): GatewayRate | undefined {
  const m = /^(\d+)(?:\/(\w+))?$/.exec(text);
  if (!m || (m[2] === undefined && unitRequired)) return undefined;
  const requests = Number(m[1]);
  const per = m[2] ?? 'second';
  if (!Number.isSafeInteger(requests) || requests < 1 || !(LIMIT_UNITS as readonly string[]).includes(per))
    return undefined;
  return { requests, per: per as LimitUnit };
}

/** --rate-limit: N[/second|/minute], the limit all operations share. */
const sharedLimit = optionParser(
  '--rate-limit',
  'a limit: a positive integer of requests, per second or with /second or /minute (e.g. 50, 20/minute)',
  (text) => readRate(text, false),
);

/** --route-limit: OPERATION=N/second|minute, one API's own limit. */
const routeLimit = optionParser(
  '--route-limit',
  `OPERATION=N/second or OPERATION=N/minute (N a positive integer, OPERATION one of ${LIMITED_OPERATIONS.join(', ')})`,
  (text): [OperationName, GatewayRate] | undefined => {
    const eq = text.indexOf('=');
    const operation = text.slice(0, eq) as OperationName;
    const rate = eq < 0 ? undefined : readRate(text.slice(eq + 1), true);
    return rate && LIMITED_OPERATIONS.includes(operation) ? [operation, rate] : undefined;
  },
);

/** A limit as the gateway's message words it: `20 a minute`. */
const describeRate = (r: GatewayRate) => `${r.requests} a ${r.per}`;

/** A share of requests: a number from 0 to 1. */
const rate = (option: string) => decimal(option, 'a rate (a number from 0 to 1, e.g. 0.1)', { min: 0, max: 1 });

interface SimulatorCommandOptions {
  port: number;
  state?: string;
  generate?: string;
  save?: string;
  ak?: string;
  sk?: string;
  skFile?: string;
  faultSeed?: number;
  errorRate?: number;
  throttleRate?: number;
  rateLimit?: GatewayRate;
  routeLimit?: [OperationName, GatewayRate][];
  countRefused?: boolean;
  retryAfter?: number;
  injectOn?: 'all' | 'write';
  latency?: number;
  extensions?: SimulatorExtension[];
}

/** --route-limit's values by operation; one operation given twice is refused. */
function routeLimits(given: [OperationName, GatewayRate][]): Partial<Record<OperationName, GatewayRate>> {
  const limits: Partial<Record<OperationName, GatewayRate>> = {};
  for (const [operation, rate] of given) {
    if (limits[operation] !== undefined)
      throw new UsageError(`--route-limit gives ${operation} more than one limit: give one per operation`);
    limits[operation] = rate;
  }
  return limits;
}

function faultOptions(opts: SimulatorCommandOptions): FaultOptions | undefined {
  const faults: FaultOptions = {
    ...(opts.faultSeed === undefined ? {} : { seed: opts.faultSeed }),
    ...(opts.errorRate === undefined ? {} : { errorRate: opts.errorRate }),
    ...(opts.throttleRate === undefined ? {} : { throttleRate: opts.throttleRate }),
    ...(opts.rateLimit === undefined ? {} : { rateLimit: opts.rateLimit }),
    ...(opts.routeLimit === undefined ? {} : { routeLimits: routeLimits(opts.routeLimit) }),
    ...(opts.countRefused ? { countRefused: true } : {}),
    ...(opts.retryAfter === undefined ? {} : { retryAfterSeconds: opts.retryAfter }),
    ...(opts.injectOn === undefined ? {} : { injectOn: opts.injectOn }),
    ...(opts.latency === undefined ? {} : { latencyMs: opts.latency }),
  };
  return Object.keys(faults).length === 0 ? undefined : faults;
}

function describeFaults(f: FaultOptions | undefined): string {
  if (f === undefined) return 'no injected faults';
  const parts = [
    f.errorRate === undefined ? '' : `error rate ${f.errorRate}`,
    f.throttleRate === undefined ? '' : `throttle rate ${f.throttleRate}`,
    f.rateLimit === undefined ? '' : `rate limit ${describeRate(f.rateLimit)} shared by all operations`,
    f.routeLimits === undefined
      ? ''
      : `route limits ${Object.entries(f.routeLimits)
          .map(([operation, rate]) => `${operation} ${describeRate(rate)}`)
          .join(', ')}`,
    f.countRefused ? 'refused requests counted' : '',
    f.retryAfterSeconds === undefined ? '' : `Retry-After ${f.retryAfterSeconds} s`,
    f.injectOn === 'write' ? 'errors and throttling on writes only' : '',
    f.latencyMs === undefined ? '' : `latency ${f.latencyMs} ms`,
    f.seed === undefined ? '' : `seed ${f.seed}`,
  ].filter((p) => p !== '');
  return `faults: ${parts.join(', ')}`;
}

/**
 * The state to start on: a state file (--state), a generated one (--generate, written to --save
 * when given, as a state file --state reads back), or the simulator's empty default.
 */
async function startState(opts: SimulatorCommandOptions): Promise<SimulatorState | undefined> {
  if (opts.state !== undefined && opts.generate !== undefined)
    throw new UsageError('--state and --generate both give the starting state: give one');
  if (opts.save !== undefined && opts.generate === undefined)
    throw new UsageError('--save goes with --generate (it keeps the generated state)');
  if (opts.state !== undefined) return loadSimulatorStateFile(opts.state);
  if (opts.generate === undefined) return undefined;
  const state = generateState(parseGenerateSpec(opts.generate));
  if (opts.save !== undefined) {
    try {
      await mkdir(dirname(opts.save), { recursive: true });
      await writeFile(opts.save, `${JSON.stringify(state)}\n`);
    } catch (err) {
      throw new UsageError(
        `--save ${opts.save}: cannot write it (${(err as NodeJS.ErrnoException).code ?? 'error'})`,
        'SAVE_FAILED',
        err,
      );
    }
  }
  return state;
}

/** How the command waits to be stopped; tests inject a promise they resolve. */
export type WaitForStop = () => Promise<void>;

const untilSignal: WaitForStop = () =>
  new Promise<void>((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });

/**
 * The secret key requests must be signed with: --sk-file PATH (first line of the file),
 * VPCEP_SIMULATOR_SK, or --sk (shown by `ps`, so meant for throwaway keys); at most one.
 */
async function secretKey(opts: SimulatorCommandOptions, env: CliContext['env']): Promise<string | undefined> {
  const fromEnv = loadSimulatorSecretKey(env);
  const given = [
    opts.sk !== undefined && '--sk',
    opts.skFile !== undefined && '--sk-file',
    fromEnv !== undefined && 'VPCEP_SIMULATOR_SK',
  ].filter((x): x is string => typeof x === 'string');
  if (given.length > 1) throw new UsageError(`the secret key is given more than once (${given.join(', ')}): give one`);
  if (opts.skFile !== undefined) {
    let text: string;
    try {
      text = await readFile(opts.skFile, 'utf8');
    } catch (err) {
      throw new UsageError(
        `--sk-file ${opts.skFile}: cannot read it (${(err as NodeJS.ErrnoException).code ?? 'error'})`,
        'SK_FILE',
        err,
      );
    }
    const sk = text.split(/\r?\n/)[0]!.trim();
    if (sk === '') throw new UsageError(`--sk-file ${opts.skFile}: the first line is empty`, 'SK_FILE');
    return sk;
  }
  return opts.sk ?? fromEnv;
}

/**
 * `vpcep-approver simulator [--port N] [--state FILE | --generate services=N,pending=M[,seed=S]
 * [--save FILE]] [--ak AK (--sk SK | --sk-file PATH)]
 * [--fault-seed N] [--error-rate R] [--throttle-rate R] [--inject-on all|write]
 * [--rate-limit N[/second|/minute]] [--route-limit OPERATION=N/second|minute ...] [--count-refused]
 * [--retry-after S] [--latency MS] [--extensions connection-description]`: runs the embedded VPCEP simulator on 127.0.0.1, prints its
 * base URL as the first line of stdout, and serves until SIGINT/SIGTERM. With --ak every API
 * request must be signed with it and its secret key (--sk-file, VPCEP_SIMULATOR_SK or --sk); the
 * fault options let operators rehearse failures (errors, throttling, the gateway's limits, shared
 * or per API, per second or per minute, slow answers). --generate starts on N services with M pending connections each (seeded), so a
 * rehearsal at scale needs no state file; --save writes that state as one. --extensions serves
 * newer APIs that are not in the reference (connection-description: the connections' descriptions).
 */
export function simulatorCommand(waitForStop: WaitForStop = untilSignal): RegisterCommand {
  return (program: Command, ctx: CliContext) => {
    program
      .command('simulator')
      .description('run the embedded VPCEP simulator (prints its base URL on the first line) until stopped')
      .option(
        '--port <n>',
        'TCP port on 127.0.0.1 (0 = any free port)',
        wholeNumber('--port', 'a port number (0 to 65535)', { min: 0, max: 65535 }),
        0,
      )
      .option('--state <file>', 'state file (JSON, CONTRACT section 5)')
      .option(
        '--generate <spec>',
        'start on a generated state: services=N,pending=M[,seed=S] (M pending connections per service)',
      )
      .option('--save <file>', 'write the generated state to this state file (with --generate)')
      .option('--ak <ak>', 'access key that requests must be signed with (needs its secret key)')
      .option('--sk-file <path>', 'file whose first line is the secret key of --ak (or set VPCEP_SIMULATOR_SK)')
      .option(
        '--sk <sk>',
        'secret key of --ak on the command line (visible to ps: prefer --sk-file or VPCEP_SIMULATOR_SK)',
      )
      .option(
        '--fault-seed <n>',
        'seed of the injected faults: the same seed and requests fail the same way (default 0)',
        integer('--fault-seed'),
      )
      .option('--error-rate <r>', 'share of API requests answered 500 EndPoint.0001 (0 to 1)', rate('--error-rate'))
      .option(
        '--throttle-rate <r>',
        'share of API requests answered 400 EndPoint.0022, throttled (0 to 1)',
        rate('--throttle-rate'),
      )
      .addOption(
        choiceOption('--inject-on <which>', 'which requests --error-rate and --throttle-rate hit', ['all', 'write']),
      )
      .option(
        '--rate-limit <n[/unit]>',
        'a limit all operations share: N API requests admitted per project in any sliding second (N, N/second) or minute (N/minute); more get 429 APIGW.0308',
        sharedLimit,
      )
      .option(
        '--route-limit <operation=n/unit>',
        `one API's own limit, OPERATION=N/second or OPERATION=N/minute (repeatable; operations: ${LIMITED_OPERATIONS.join(', ')})`,
        repeatable(routeLimit),
      )
      .option(
        '--count-refused',
        'requests a limit refused count against its window too (by default only admitted ones do)',
      )
      .option(
        '--retry-after <s>',
        'seconds sent as Retry-After with the 429 of --rate-limit or --route-limit (none by default, as the gateway documents none)',
        wholeNumber('--retry-after', 'a whole number of seconds (0 or more)', { min: 0 }),
      )
      .option(
        '--latency <ms>',
        'milliseconds added to every API response',
        decimal('--latency', 'a duration in milliseconds (0 or more)', { min: 0 }),
      )
      .option(
        '--extensions <names>',
        `serve newer APIs not in the reference, comma-separated: ${SIMULATOR_EXTENSIONS.join(', ')} (without one, its route answers 404 APIGW.0101)`,
        extensionList,
      )
      .action(async (opts: SimulatorCommandOptions) => {
        const sk = await secretKey(opts, ctx.env);
        if ((opts.ak === undefined) !== (sk === undefined))
          throw new UsageError(
            '--ak and its secret key go together: give --ak with --sk-file, VPCEP_SIMULATOR_SK or --sk, or neither',
          );
        const limited = opts.rateLimit !== undefined || opts.routeLimit !== undefined;
        if (opts.retryAfter !== undefined && !limited)
          throw new UsageError("--retry-after goes with --rate-limit or --route-limit (it is sent with a limit's 429)");
        if (opts.countRefused && !limited)
          throw new UsageError(
            '--count-refused goes with --rate-limit or --route-limit (it counts against their windows)',
          );
        const state = await startState(opts);
        const faults = faultOptions(opts);
        let sim: Awaited<ReturnType<typeof startSimulator>>;
        try {
          sim = await startSimulator({
            port: opts.port,
            ...(state ? { state } : {}),
            ...(faults ? { faults } : {}),
            ...(opts.extensions ? { extensions: opts.extensions } : {}),
            ...(opts.ak !== undefined && sk !== undefined ? { credentials: { ak: opts.ak, sk } } : {}),
          });
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE')
            throw new UsageError(`port ${opts.port} is already in use on 127.0.0.1`, 'PORT_IN_USE', err);
          throw err;
        }
        ctx.stdout.write(`${sim.url}\n`);
        if (opts.save !== undefined) ctx.stderr.write(`simulator: generated state saved to ${opts.save}\n`);
        const services = sim.state().services.length;
        ctx.stderr.write(
          `simulator: project ${sim.projectId}, ${services} service(s), ${opts.ak ? 'AK/SK signatures required' : 'no authentication'}, ${describeFaults(faults)}${opts.extensions ? `, extensions: ${opts.extensions.join(', ')}` : ''}; ` +
            `API at ${sim.url}/v1/${sim.projectId}, inspection at ${sim.url}/__admin/log and /__admin/stats\n`,
        );
        await waitForStop();
        await sim.stop();
        ctx.stderr.write('simulator: stopped\n');
      });
  };
}
