import { Writable } from 'node:stream';

import { Config } from '../config';
import { createRunDepsFactory, RunDepsFactory } from '../deps';
import { DynamoDbSend } from '../lease/dynamodb-table';
import { Clock } from '../time';

export interface LambdaRunDepsOptions {
  config: Pick<Config, 'connection' | 'auditQueueUrl' | 'leaseTable'> & Partial<Pick<Config, 'annotate'>>;
  /** The container's DynamoDB client for the lease table (shared with the webhook request store). */
  dynamodb?: DynamoDbSend;
  /** Undeliverable audit events, and with no queue every event, go here as JSON lines. */
  stderr?: Writable;
  clock?: Clock;
}

/**
 * The production RunDepsFactory for Lambda, made once per container by lib/deps'
 * createRunDepsFactory, so warm invocations share its fetch (and the TLS connections to the
 * VPCEP endpoint), its rate limiter and its SQS client: the VPCEP client for the configured
 * endpoint with the invocation's credentials, and an auditor over SQS when AUDIT_QUEUE_URL is set
 * (AWS SDK defaults: the function's role; SendMessageBatch needs only sqs:SendMessage), else over
 * stderr, which CloudWatch keeps. With VPCEP_LEASE_TABLE every review takes the service's lease
 * in that table before acting (CONTRACT section 1, "Leases"); the deployed functions always have it.
 * With VPCEP_ANNOTATE the runs also write their accepts and rejects as the connections' descriptions.
 */
export function createLambdaRunDepsFactory(options: LambdaRunDepsOptions): RunDepsFactory {
  const { connection, auditQueueUrl, leaseTable, annotate } = options.config;
  return createRunDepsFactory({
    connection: { endpoint: connection.endpoint, projectId: connection.projectId },
    ...(auditQueueUrl && { audit: { queueUrl: auditQueueUrl } }),
    fallback: options.stderr ?? process.stderr,
    ...(leaseTable !== undefined && { leaseTable }),
    ...(options.dynamodb && { dynamodb: options.dynamodb }),
    ...(options.clock && { clock: options.clock }),
    ...(annotate && { annotate: true }),
  });
}
