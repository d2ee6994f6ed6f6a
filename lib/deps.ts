import { Writable } from 'node:stream';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';

import { createAuditor } from './audit/auditor';
import { createFileSink, createStreamSink } from './audit/file-sink';
import { AuditSink, createFanoutSink } from './audit/sink';
import { createSqsSink, SqsSendClient } from './audit/sqs-sink';
import { ConnectionConfig } from './config';
import { EngineDeps } from './engine/service-review';
import { createDynamoDbLeaseStore } from './lease/dynamodb-lease-store';
import { DynamoDbSend } from './lease/dynamodb-table';
import { LeaseStore } from './lease/lease';
import { Logger } from './logger';
import { createVpcepClient, CreateVpcepClientOptions, RateLimiter, VpcepClient } from './vpcep/client';
import { createDynamoDbWebhookRequestStore } from './webhook/dynamodb-request-store';
import { WebhookRequestStore } from './webhook/request-store';

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
  if (destinations.queueUrl)
    sinks.push(createSqsSink({ client: destinations.sqsClient ?? new SQSClient({}), queueUrl: destinations.queueUrl }));
  if (destinations.file) sinks.push(createFileSink(destinations.file));
  if (destinations.stream) sinks.push(createStreamSink(destinations.stream));
  if (sinks.length === 0) return undefined;
  return sinks.length === 1 ? sinks[0] : createFanoutSink(sinks);
}

/**
 * The rate limiter of a process (real clock and timers): every client of a CLI command or of a
 * Lambda container shares it, so all services, reads and writes pace together under what the
 * API admits. `maxRate` is --max-rate / VPCEP_MAX_RATE.
 */
export function createRateLimiter(maxRate?: number): RateLimiter {
  return new RateLimiter(maxRate === undefined ? {} : { maxRate });
}

/** A sink that keeps nothing: `plan` runs the engine in dry run and records nothing. */
export const discardSink: AuditSink = { name: 'discard', async send() {}, async close() {} };

/** The engine's dependencies with the real client (which also counts its calls). */
export interface RunDeps extends EngineDeps {
  client: VpcepClient;
}

export interface CreateRunDepsOptions {
  connection: Pick<ConnectionConfig, 'endpoint' | 'projectId'> & {
    credentials: CreateVpcepClientOptions['credentials'];
  };
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
  /** The lease store (VPCEP_LEASE_TABLE); unset, the run is unleased. */
  lease?: LeaseStore;
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
  const auditor = createAuditor({
    sink: options.sink,
    fallback: options.fallback,
    ...(options.maxUnaudited !== undefined && { maxUnaudited: options.maxUnaudited }),
  });
  return { client, auditor, clock, logger: options.logger, ...(options.lease && { lease: options.lease }) };
}

/**
 * The DynamoDB client of the lease table, with the AWS SDK's defaults for region, credentials
 * and endpoint (so AWS_ENDPOINT_URL_DYNAMODB points it at a local server). Make one per process
 * (container) and share it: it keeps its connections alive.
 */
export function createDynamoDbClient(): DynamoDBClient {
  return new DynamoDBClient({});
}

export interface TableStoreOverrides {
  /** Overrides the DynamoDB client (tests; a shared one per container). */
  client?: DynamoDbSend;
  clock?: () => Date;
}

/**
 * The lease store of production: leases in the DynamoDB table `tableName` (VPCEP_LEASE_TABLE),
 * compared with the system clock.
 */
export function createLeaseStore(tableName: string, overrides: TableStoreOverrides = {}): LeaseStore {
  return createDynamoDbLeaseStore({
    client: overrides.client ?? createDynamoDbClient(),
    tableName,
    ...(overrides.clock && { clock: overrides.clock }),
  });
}

/**
 * The webhook request records of production (CONTRACT 4: one review per signed request across
 * containers), in the same DynamoDB table as the leases.
 */
export function createWebhookRequestStore(tableName: string, overrides: TableStoreOverrides = {}): WebhookRequestStore {
  return createDynamoDbWebhookRequestStore({
    client: overrides.client ?? createDynamoDbClient(),
    tableName,
    ...(overrides.clock && { clock: overrides.clock }),
  });
}

/** The archive's S3 client: AWS SDK defaults (the function's role and region). */
export function createS3Client(): S3Client {
  return new S3Client({});
}
