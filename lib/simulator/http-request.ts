import { IncomingMessage } from 'node:http';

import { gatewayError, vpcepError } from './errors';

/** The largest request body the gateway takes; more is 413 APIGW.0201. */
const MAX_BODY_BYTES = 1024 * 1024;

/** The request's headers, names lower-case, repeated values joined with commas (as they were signed). */
export function flatHeaders(req: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined) out[name] = Array.isArray(value) ? value.join(',') : value;
  }
  return out;
}

/** The raw request body, refused with 413 APIGW.0201 once it passes 1 MiB. */
export async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw gatewayError(413, 'APIGW.0201', 'Request entity too large');
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/** The JSON body of a POST or PUT: EndPoint.0011 when absent, EndPoint.0002 when not JSON. */
export function parseJson(method: string, raw: Buffer): unknown {
  if (raw.length === 0) {
    if (method === 'POST' || method === 'PUT') throw vpcepError('EndPoint.0011', 'empty body');
    return undefined;
  }
  try {
    return JSON.parse(raw.toString('utf8'));
  } catch {
    throw vpcepError('EndPoint.0002', 'body is not JSON');
  }
}
