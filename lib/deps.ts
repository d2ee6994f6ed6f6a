import { Writable } from 'node:stream';
import { SQSClient } from '@aws-sdk/client-sqs';
import { S3Client } from '@aws-sdk/client-s3';
import { createAuditor } from './audit/auditor';
import { createFileSink, createStreamSink } from './audit/file-sink';
import { AuditSink, createFanoutSink } from './audit/sink';
import { createSqsSink, SqsSendClient } from './audit/sqs-sink';
import { ConnectionConfig } from './config';
import { EngineDeps } from './engine/review';
import { Logger } from './logger';
import { createVpcepClient, CreateVpcepClientOptions, VpcepClient } from './vpcep/client';

/**
 * The one place where production defaults are chosen: the VPCEP client, the audit sinks, the
 * auditor and the clock. Functions, the CLI and the demo all build their dependencies here;
 * tests pass overrides (a fake fetch, a local SQS client) instead of mocking modules.
 */
export interface AuditDestinations {
  /** SQS queue URL (AUDIT_QUEUE_URL). The AWS SDK finds region, credentials and endpoint itself. */
  queueUrl?: string;
  /** JSON Lines file, appended (--audit-file). */
  file?: string;
  /** JSON Lines on a stream (the demo prints to stdout). */
  stream?: Writable;
  /** Overrides the SQS client (tests). */
  sqsClient?: SqsSendClient;
}

/** The audit sink for the destinations given, or undefined when none is. */
export function createAuditSink(destinations: AuditDestinations): AuditSink | undefined {
  const sinks: AuditSink[] = [];
  if (destinations.queueUrl) sinks.push(createSqsSink({ client: destinations.sqsClient ?? new SQSClient({}), queueUrl: destinations.queueUrl }));
  if (destinations.file) sinks.push(createFileSink(destinations.file));
  if (destinations.stream) sinks.push(createStreamSink(destinations.stream));
  if (sinks.length === 0) return undefined;
  return sinks.length === 1 ? sinks[0] : createFanoutSink(sinks);
}

/** A sink that keeps nothing: `plan` runs the engine in dry run and records nothing. */
export const discardSink: AuditSink = { name: 'discard', async send() {}, async close() {} };

/** The engine's dependencies with the real client (which also counts its calls). */
export interface RunDeps extends EngineDeps {
  client: VpcepClient;
}

export interface CreateRunDepsOptions {
  connection: Pick<ConnectionConfig, 'endpoint' | 'projectId'> & { credentials: CreateVpcepClientOptions['credentials'] };
  sink: AuditSink;
  logger: Logger;
  /** Where undeliverable audit events are written as fallback JSON lines (stderr). */
  fallback: Writable;
  clock?: () => Date;
  client?: Partial<CreateVpcepClientOptions>;
  /**
   * Most actions unaudited at once. Give it the run's call concurrency plus a batch, so the audit
   * bound never throttles the calls yet stays small (see createAuditor).
   */
  maxUnaudited?: number;
}

export function createRunDeps(options: CreateRunDepsOptions): RunDeps {
  const clock = options.clock ?? (() => new Date());
  const client = createVpcepClient({
    endpoint: options.connection.endpoint,
    projectId: options.connection.projectId,
    credentials: options.connection.credentials,
    logger: options.logger,
    clock,
    ...options.client,
  });
  const auditor = createAuditor({ sink: options.sink, fallback: options.fallback, ...(options.maxUnaudited !== undefined && { maxUnaudited: options.maxUnaudited }) });
  return { client, auditor, clock, logger: options.logger };
}

/** The archive's S3 client: AWS SDK defaults (the function's role and region). */
export function createS3Client(): S3Client {
  return new S3Client({});
}
