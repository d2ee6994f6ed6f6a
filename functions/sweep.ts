// Scheduled sweep (serverless.yml: rate(5 minutes) by default): pending connections and whitelists.
import { createScheduledHandler } from '../lib/lambda/scheduled';
import { coldStart } from '../lib/lambda/setup';

export const handler = createScheduledHandler(coldStart(process.env), 'sweep');
