/**
 * Lambda's side of an invocation, as the functions' tests build it: a context, the events
 * EventBridge and the HTTP API send, and a container's cold start with its output captured.
 */
import { PassThrough, Writable } from 'node:stream';
import { GetParameterCommand } from '@aws-sdk/client-ssm';
import type { APIGatewayProxyEventV2, Context, ScheduledEvent } from 'aws-lambda';

import type { HandlerSetup } from '../../lib/lambda/handler-setup';
import { createLambdaRunDepsFactory } from '../../lib/lambda/run-deps';
import { coldStart } from '../../lib/lambda/setup';
import { createJsonLogger } from '../../lib/logger';
import type { Clock } from '../../lib/time';
import { signWebhook } from '../../lib/webhook/signature';

const ACCOUNT = '123456789012';
const REGION = 'eu-central-1';

let invocation = 0;
/** The context of one invocation of `vpcep-approver-test-<name>`; each a new request id. */
export function lambdaContext(name: string, options: { remainingMs?: number } = {}): Context {
  invocation++;
  const functionName = `vpcep-approver-test-${name}`;
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${functionName}`,
    memoryLimitInMB: '1024',
    awsRequestId: `req-${invocation}`,
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: '2026/12/02/[$LATEST]0',
    getRemainingTimeInMillis: () => options.remainingMs ?? 60_000,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

/** What EventBridge sends a scheduled function. */
export const scheduledEvent = (): ScheduledEvent => ({
  version: '0',
  id: 'e0000000-0000-4000-8000-000000000001',
  'detail-type': 'Scheduled Event',
  source: 'aws.events',
  account: ACCOUNT,
  time: new Date().toISOString(),
  region: REGION,
  resources: [`arn:aws:events:${REGION}:${ACCOUNT}:rule/vpcep-approver-test-sweep`],
  detail: {},
});

/** An HTTP API (payload 2.0) event for POST /review. */
export function reviewHttpEvent(
  body: string,
  headers: Record<string, string>,
  isBase64Encoded = false,
): APIGatewayProxyEventV2 {
  return {
    version: '2.0',
    routeKey: 'POST /review',
    rawPath: '/review',
    rawQueryString: '',
    headers,
    body,
    isBase64Encoded,
    requestContext: {
      accountId: ACCOUNT,
      apiId: 'api',
      domainName: 'api.example.test',
      domainPrefix: 'api',
      http: { method: 'POST', path: '/review', protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'test' },
      requestId: 'r',
      routeKey: 'POST /review',
      stage: '$default',
      time: '02/Dec/2026:18:00:00 +0000',
      timeEpoch: 0,
    },
  };
}

/** A POST /review of `payload` (JSON unless a string) signed with `secret` at `timestamp` (default now). */
export function signedReviewEvent(
  payload: unknown,
  options: { secret: string; timestamp?: number; contentType?: string },
): APIGatewayProxyEventV2 {
  const body = typeof payload === 'string' ? payload : JSON.stringify(payload);
  const timestamp = options.timestamp ?? Math.floor(Date.now() / 1000);
  return reviewHttpEvent(body, {
    'content-type': options.contentType ?? 'application/json',
    'x-vpcep-timestamp': String(timestamp),
    'x-vpcep-signature': signWebhook(options.secret, timestamp, body),
  });
}

/**
 * One container's cold start from `env`, with the production factory of run dependencies: its
 * logs to `logs` (discarded unless given), its audit events to `audit` (the function's stderr,
 * where they go without an audit queue); `clock`, when given, is the handlers' and the runs'.
 */
export function coldStartContainer(
  env: Readonly<Record<string, string | undefined>>,
  output: { audit: Writable; logs?: Writable; clock?: Clock },
): HandlerSetup {
  const base = coldStart(env, { logger: createJsonLogger({ stream: output.logs ?? new PassThrough().resume() }) });
  const { clock } = output;
  return {
    ...base,
    ...(clock && { clock }),
    createRunDeps: createLambdaRunDepsFactory({ config: base.config, stderr: output.audit, ...(clock && { clock }) }),
  };
}

/**
 * A stand-in for SSMClient answering the brake's GetParameter (VPCEP_ENFORCE_PARAMETER) from a
 * table (undefined: ParameterNotFound), recording the names read; any other command throws.
 */
export function fakeSsm(values: { brake?: string; error?: Error }) {
  const reads: string[] = [];
  class FakeSsmClient {
    async send(command: GetParameterCommand) {
      if (!(command instanceof GetParameterCommand)) throw new Error('unexpected SSM command');
      reads.push(command.input.Name!);
      if (values.error) throw values.error;
      if (values.brake === undefined)
        throw Object.assign(new Error(`Parameter ${command.input.Name} not found.`), { name: 'ParameterNotFound' });
      return { Parameter: { Name: command.input.Name, Type: 'String', Value: values.brake } };
    }
  }
  return { AwsClient: FakeSsmClient as unknown as HandlerSetup['ssmClient'], reads };
}
