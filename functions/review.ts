// POST /review (HTTP API): a signed webhook that reviews one endpoint service now (CONTRACT 4).
import { createReviewHandler } from '../lib/lambda/review-webhook';
import { coldStart } from '../lib/lambda/setup';

export const handler = createReviewHandler(coldStart(process.env));
