import { createHash, timingSafeEqual } from 'node:crypto';

import { verifySignature } from '../vpcep/sign';
import { gatewayError, SimulatorHttpError } from './errors';

/** 3.2: an X-Sdk-Date more than 15 minutes away from the server's clock is refused. */
export const MAX_SDK_DATE_SKEW_MS = 15 * 60 * 1000;

export interface AuthSettings {
  credentials: { ak: string; sk: string }[];
  tokens: string[];
}

/** The request as authentication sees it: what was signed. */
export interface AuthRequest {
  method: string;
  /** Path and query exactly as received. */
  url: string;
  headers: Record<string, string>;
  body: Uint8Array;
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

/**
 * Authenticates API requests as the API gateway in front of VPCEP does (3.2): a valid
 * SDK-HMAC-SHA256 signature by a known AK, or an `X-Auth-Token` equal to a configured token.
 * Failures are 401 with a gateway-style body (`APIGW.0301`); the reason says what was wrong,
 * never which key, token or signature was sent.
 */
export class Authenticator {
  private readonly secrets: Map<string, string>;
  private readonly tokenDigests: Buffer[];

  constructor(settings: AuthSettings) {
    this.secrets = new Map(settings.credentials.map((c) => [c.ak, c.sk]));
    this.tokenDigests = settings.tokens.map(digest);
  }

  /** True when requests must be authenticated at all. */
  get enabled(): boolean {
    return this.secrets.size > 0 || this.tokenDigests.length > 0;
  }

  /** Undefined when the request may pass, else the 401 to answer. */
  check(req: AuthRequest, now: Date): SimulatorHttpError | undefined {
    if (!this.enabled) return undefined;
    const token = req.headers['x-auth-token'];
    if (token !== undefined) {
      // Compare digests, so the comparison takes the same time whatever the token.
      const d = digest(token);
      if (this.tokenDigests.some((t) => timingSafeEqual(t, d))) return undefined;
      return unauthorized('the token is invalid or expired');
    }
    if (req.headers.authorization === undefined)
      return unauthorized('no Authorization header (AK/SK signature) and no X-Auth-Token');
    if (this.secrets.size === 0) return unauthorized('AK/SK authentication is not accepted here; use X-Auth-Token');
    const result = verifySignature(
      { method: req.method, url: req.url, headers: req.headers, body: req.body },
      (ak) => this.secrets.get(ak),
      {
        now,
        maxSkewMs: MAX_SDK_DATE_SKEW_MS,
      },
    );
    return result.ok ? undefined : unauthorized(result.reason);
  }
}

function unauthorized(reason: string): SimulatorHttpError {
  return gatewayError(401, 'APIGW.0301', `Incorrect IAM authentication information: ${reason}`);
}
