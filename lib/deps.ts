/**
 * The one place where production defaults are chosen: the VPCEP client and its fetch, the SQS,
 * SSM, DynamoDB and S3 clients, the audit sinks, the auditor, the lease store and the clock. The
 * functions, the CLI and the demo all build their dependencies here; tests pass overrides (a fake
 * fetch, a local SQS client, a DynamoDB client) instead of mocking modules.
 */
import { Writable } from 'node:stream';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import { SSMClient } from '@aws-sdk/client-ssm';

import { createAuditor } from './audit/auditor';
import { createFileSink, createStreamSink } from './audit/file-sink';
import { AuditSink, createFanoutSink } from './audit/sink';
import { createSqsSink, SqsSendClient } from './audit/sqs-sink';
import { ConnectionConfig } from './config';
import { EngineDeps } from './engine/ports';
import { createDynamoDbLeaseStore } from './lease/dynamodb-lease-store';
import { DynamoDbSend } from './lease/dynamodb-table';
import { LeaseStore } from './lease/lease';
import { Logger } from './logger';
import { HuaweiCredentials } from './model';
import { Clock, systemClock } from './time';
import { createVpcepClient, CreateVpcepClientOptions, RateLimiter, VpcepClient } from './vpcep/client';
import { createNodeFetch, FetchLike } from './vpcep/http';
import { createDynamoDbWebhookRequestStore } from './webhook/dynamodb-request-store';
import { WebhookRequestStore } from './webhook/request-store';

/** Where a run's audit events go (the sink choice of createAuditSink). */
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
    sinks.push(createSqsSink({ client: destinations.sqsClient ?? createSqsClient(), queueUrl: destinations.queueUrl }));
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

/**
 * What the runs of one process share (a Lambda container, a CLI command, the demo): built once by
 * createRunDepsFactory, so warm invocations and successive runs reuse them.
 */
export interface ProcessDepsOptions {
  /** The VPCEP endpoint and project every run talks to. */
  connection: Pick<ConnectionConfig, 'endpoint' | 'projectId'>;
  /**
   * Where each run's audit events go, when the run is not given a sink: the SQS queue, the file,
   * the stream, or several; with none of them, JSON lines on `fallback`.
   */
  audit?: AuditDestinations;
  /** Where undeliverable audit events are written as fallback JSON lines (stderr). */
  fallback: Writable;
  /** Default: node-fetch with keep-alive agents, one per process, so runs reuse their TLS connections. */
  fetch?: FetchLike;
  /** Default: createRateLimiter(), one per process: what it learnt of the API's limit holds for the next run. */
  rateLimiter?: RateLimiter;
  /**
   * The lease table (VPCEP_LEASE_TABLE): every review takes the service's lease there before
   * acting. Unset (and no `lease`), the runs are unleased.
   */
  leaseTable?: string;
  /** The DynamoDB client of the lease table (a container shares one); default: the AWS SDK's. */
  dynamodb?: DynamoDbSend;
  /** A lease store already made (tests: the in-memory one); it wins over `leaseTable`. */
  lease?: LeaseStore;
  clock?: Clock;
  /** Overrides for every run's client (benchmarks: a retry policy, a timeout). */
  client?: Partial<CreateVpcepClientOptions>;
  /** VPCEP_ANNOTATE: the runs write their accepts and rejects as the connections' descriptions. */
  annotate?: boolean;
}

/** What one run brings of its own. */
export interface RunDepsRequest {
  credentials: HuaweiCredentials;
  logger: Logger;
  /** The run's deadline, for every call and retry. */
  deadline?: Date;
  /** The run's interruption (SIGINT/SIGTERM): no call starts after it, and a listing page in flight is cut off. */
  signal?: AbortSignal;
  /** A sink already chosen and proven for this run (the CLI's plan and apply) instead of the process's destinations. */
  sink?: AuditSink;
  /**
   * Most actions unaudited at once. Give it the run's call concurrency plus a batch, so the audit
   * bound never throttles the calls yet stays small (see createAuditor).
   */
  maxUnaudited?: number;
}

/** Builds the engine's dependencies for one run (its auditor is closed by the caller after the run). */
export type RunDepsFactory = (run: RunDepsRequest) => RunDeps;

/**
 * The VPCEP client of a command that only reads (services, connections, whitelist): node-fetch
 * with keep-alive; the caller gives the connection, logger, rate limiter and deadline.
 */
export function createReadClient(options: Omit<CreateVpcepClientOptions, 'fetch'>): VpcepClient {
  return createVpcepClient({ ...options, fetch: createNodeFetch() });
}

/**
 * The one factory of production dependencies. For a process it makes the pieces its runs share
 * (fetch, the rate limiter, the lease store when a lease table is named, and the SQS client on
 * first use, with the AWS SDK's defaults for region, credentials and endpoint); for each run it makes the VPCEP client with the run's
 * credentials and deadline, the audit sink (SQS when a queue URL is given, a file, a stream;
 * none: JSON lines on the fallback stream) and the auditor over it. The Lambda calls it once
 * per container, the CLI and the demo once per command; tests pass a fake fetch or a local SQS
 * client instead of mocking modules.
 */
export function createRunDepsFactory(options: ProcessDepsOptions): RunDepsFactory {
  const clock = options.clock ?? systemClock;
  const lease =
    options.lease ??
    (options.leaseTable === undefined
      ? undefined
      : createLeaseStore(options.leaseTable, {
          ...(options.dynamodb && { client: options.dynamodb }),
          ...(options.clock && { clock: options.clock }),
        }));
  const fetch = options.fetch ?? createNodeFetch();
  const rateLimiter = options.rateLimiter ?? createRateLimiter();
  const { sqsClient: givenSqsClient, ...destinations } = options.audit ?? {};
  let sqsClient = givenSqsClient;
  return (run) => {
    const sink =
      run.sink ??
      createAuditSink({
        ...destinations,
        ...(destinations.queueUrl && { sqsClient: (sqsClient ??= createSqsClient()) }),
      }) ??
      createStreamSink(options.fallback, 'stderr');
    const client = createVpcepClient({
      endpoint: options.connection.endpoint,
      projectId: options.connection.projectId,
      credentials: run.credentials,
      logger: run.logger,
      clock,
      fetch,
      rateLimiter,
      ...(run.deadline && { deadline: run.deadline }),
      ...(run.signal && { signal: run.signal }),
      ...options.client,
    });
    const auditor = createAuditor({
      sink,
      fallback: options.fallback,
      ...(run.maxUnaudited !== undefined && { maxUnaudited: run.maxUnaudited }),
    });
    return {
      client,
      auditor,
      clock,
      logger: run.logger,
      ...(lease && { lease }),
      ...(options.annotate && { annotate: true }),
    };
  };
}

/**
 * The SQS client of the audit queue, with the AWS SDK's defaults for region, credentials and
 * endpoint (so AWS_ENDPOINT_URL_SQS points it at a local server).
 */
export function createSqsClient(): SQSClient {
  return new SQSClient({});
}

/**
 * The SSM client of the functions' parameters (the brake), with the AWS SDK's defaults; tests
 * give a fake class, as they do to the secrets middleware.
 */
export function createSsmClient(
  AwsClient: new (config: object) => Pick<SSMClient, 'send'> = SSMClient,
): Pick<SSMClient, 'send'> {
  return new AwsClient({});
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
  clock?: Clock;
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
