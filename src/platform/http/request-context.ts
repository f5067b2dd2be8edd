import type { Context } from 'hono';
import { serviceContext, type ServiceContext } from '../context';
import type { AppEnv } from '../env';

/** The service context of a request: its bindings, its id and its logger. */
export function requestContext<E extends AppEnv>(c: Context<E>): ServiceContext {
  return serviceContext(c.env, c.get('requestId'), c.get('log'));
}
