// Scheduled compliance run (serverless.yml: rate(1 day) by default): revocations, approval, drift.
import { createScheduledHandler } from '../lib/lambda/scheduled';
import { coldStart } from '../lib/lambda/setup';

export const handler = createScheduledHandler(coldStart(process.env), 'compliance');
