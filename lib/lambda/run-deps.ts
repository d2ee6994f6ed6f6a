import { SQSClient } from '@aws-sdk/client-sqs';
import { Writable } from 'node:stream';
import { Auditor, createAuditor } from '../audit/auditor';
import { createStreamSink } from '../audit/file-sink';
import { createSqsSink } from '../audit/sqs-sink';
import { Config } from '../config';
import { RunDeps } from '../engine/run';
import { Logger } from '../logger';
import { createVpcepClient, VpcepClient } from '../vpcep/client';
import { HuaweiCredentials } from './context';

/** What a handler gets for one invocation: the engine's dependencies plus the concrete client. */
export interface InvocationDeps extends RunDeps {
  client: VpcepClient;
  auditor: Auditor;
}

/** Builds the engine's dependencies for one invocation (the auditor is closed after each run). */
export type RunDepsFactory = (options: { credentials: HuaweiCredentials; logger: Logger }) => InvocationDeps;

export interface LambdaRunDepsOptions {
  config: Pick<Config, 'connection' | 'auditQueueUrl'>;
  /** Undeliverable audit events, and with no queue every event, go here as JSON lines. */
  stderr?: Writable;
  clock?: () => Date;
}

/**
 * The production RunDepsFactory for Lambda: the VPCEP client for the configured endpoint, and
 * an auditor over SQS when AUDIT_QUEUE_URL is set (AWS SDK defaults for region and
 * credentials: the function's role; SendMessageBatch needs only sqs:SendMessage), else over
 * stderr (CloudWatch). The SQS client is created once per container and reused.
 */
export function createLambdaRunDeps(options: LambdaRunDepsOptions): RunDepsFactory {
  const stderr = options.stderr ?? process.stderr;
  const clock = options.clock ?? (() => new Date());
  const { connection, auditQueueUrl } = options.config;
  let sqs: SQSClient | undefined;
  return ({ credentials, logger }) => {
    const sink = auditQueueUrl ? createSqsSink({ client: (sqs ??= new SQSClient({})), queueUrl: auditQueueUrl }) : createStreamSink(stderr, 'stderr');
    return {
      client: createVpcepClient({ endpoint: connection.endpoint, projectId: connection.projectId, credentials, clock, logger }),
      auditor: createAuditor({ sink, fallback: stderr }),
      clock,
      logger,
    };
  };
}
