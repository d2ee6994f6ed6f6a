// Fed by the audit queue (serverless.yml: SQS event source, partial batch responses): the archive.
import { archiverColdStart, createArchiverHandler } from '../lib/lambda/archiver';

export const handler = createArchiverHandler(archiverColdStart(process.env));
