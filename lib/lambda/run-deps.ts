import { Writable } from 'node:stream';
import { SQSClient } from '@aws-sdk/client-sqs';

import { createStreamSink } from '../audit/file-sink';
import { Config } from '../config';
import { createAuditSink, createLeaseStore, createRateLimiter, createRunDeps, RunDeps } from '../deps';
import { DynamoDbSend } from '../lease/dynamodb-table';
import { Logger } from '../logger';
import { HuaweiCredentials } from '../model';
import { createNodeFetch } from '../vpcep/http';

/** Builds the engine's dependencies for one invocation (its auditor is closed after the run). */
export type RunDepsFactory = (options: { credentials: HuaweiCredentials; logger: Logger; deadline?: Date }) => RunDeps;

export interface LambdaRunDepsOptions {
  config: Pick<Config, 'connection' | 'auditQueueUrl' | 'leaseTable'>;
  /** The container's DynamoDB client for the lease table (shared with the webhook request store). */
  dynamodb?: DynamoDbSend;
  /** Undeliverable audit events, and with no queue every event, go here as JSON lines. */
  stderr?: Writable;
  clock?: () => Date;
}

/**
 * The production RunDepsFactory for Lambda, over lib/deps: the VPCEP client for the configured
 * endpoint with the invocation's credentials, and an auditor over SQS when AUDIT_QUEUE_URL is set
 * (AWS SDK defaults: the function's role; SendMessageBatch needs only sqs:SendMessage), else over
 * stderr, which CloudWatch keeps. The SQS client is created once per container and reused.
 * With VPCEP_LEASE_TABLE every review takes the service's lease in that table before acting
 * (CONTRACT section 1, "Leases"); the deployed functions always have it.
 */
export function createLambdaRunDeps(options: LambdaRunDepsOptions): RunDepsFactory {
  const stderr = options.stderr ?? process.stderr;
  const { connection, auditQueueUrl } = options.config;
  let sqsClient: SQSClient | undefined;
  // One fetch (and its keep-alive agents) per container: warm invocations reuse the TLS
  // connections to the VPCEP endpoint instead of opening new ones.
  const fetch = createNodeFetch();
  const lease = options.config.leaseTable
    ? createLeaseStore(options.config.leaseTable, {
        ...(options.dynamodb && { client: options.dynamodb }),
        ...(options.clock && { clock: options.clock }),
      })
    : undefined;
  // One rate limiter per container too: what it learnt of the API's limit holds for the next invocation.
  const rateLimiter = createRateLimiter();
  return ({ credentials, logger, deadline }) => {
    const sink =
      createAuditSink(auditQueueUrl ? { queueUrl: auditQueueUrl, sqsClient: (sqsClient ??= new SQSClient({})) } : {}) ??
      createStreamSink(stderr, 'stderr');
    return createRunDeps({
      connection: { endpoint: connection.endpoint, projectId: connection.projectId, credentials },
      sink,
      logger,
      fallback: stderr,
      client: { fetch, rateLimiter, ...(deadline && { deadline }) },
      ...(lease && { lease }),
      ...(options.clock && { clock: options.clock }),
    });
  };
}
