import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';

import { ArchiveDeps, planArchive } from '../archive/archive-batch';
import { loadArchiverConfig } from '../config';
import { createS3Client } from '../deps';
import { createJsonLogger } from '../logger';
import type { LambdaHandler } from './handler-setup';

/**
 * The archiver (fed by the audit queue, SQS event source with ReportBatchItemFailures): writes
 * the batch's events to the archive bucket (lib/archive) and answers with the messages that were
 * not stored, so SQS redelivers only those (partial batch response, through Powertools' batch
 * processor). A batch where every message failed (S3 down) fails the invocation, which the
 * errors alarm sees; Powertools raises FullBatchFailureError for it.
 */
export function createArchiverHandler(deps: ArchiveDeps): LambdaHandler<SQSEvent, SQSBatchResponse> {
  return async (event, context: Context) => {
    const logger = deps.logger.child({ request_id: context.awsRequestId, function: context.functionName });
    const store = planArchive(event.Records, { ...deps, logger });
    const processor = new BatchProcessor(EventType.SQS);
    const response = await processPartialResponse(
      event,
      (record: SQSRecord) => store.get(record.messageId)!(),
      processor,
      { context },
    );
    logger.info('batch archived', { messages: event.Records.length, failed: response.batchItemFailures.length });
    return response;
  };
}

/**
 * The archiver's cold start: the bucket (ARCHIVE_BUCKET) and log level from the environment, the
 * S3 client from lib/deps, the JSON logger on stderr. (Apart from coldStart: the archiver needs
 * neither the policy nor the VPCEP API.)
 */
export function archiverColdStart(env: Readonly<Record<string, string | undefined>>): ArchiveDeps {
  const config = loadArchiverConfig(env);
  const logger = createJsonLogger({
    stream: process.stderr,
    level: config.logLevel,
    fields: { service: 'vpcep-approver' },
  });
  return { s3: createS3Client(), bucket: config.bucket, logger };
}
