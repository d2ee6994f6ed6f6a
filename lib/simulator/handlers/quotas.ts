import { vpcepError } from '../errors';
import { Handler, ok } from './handler';

/** 4.4.1: the project's quotas and what it uses of them. */
export const getQuotas: Handler = (store, req) => {
  const type = req.query.get('type');
  if (type !== null && type !== 'endpoint_service' && type !== 'endpoint')
    throw vpcepError('EndPoint.0002', `type=${type}`);
  const resources = [
    { type: 'endpoint_service', used: store.services.size, quota: store.quotas.endpoint_service },
    { type: 'endpoint', used: store.domainEndpoints(req.callerDomain)?.size ?? 0, quota: store.quotas.endpoint },
  ].filter((r) => type === null || r.type === type);
  return ok({ quotas: { resources } });
};
