/**
 * The edge: domain errors (platform/errors.ts) become HTTP here and in the
 * pages' error renderer, nowhere else.
 */
import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { AppError, notFound, type ErrorCode } from '../errors';

/** Each error code's HTTP status. */
const ERROR_STATUS = {
  bad_request: 400,
  invalid_json: 400,
  validation_failed: 400,
  unauthenticated: 401,
  plan_limit: 402,
  forbidden: 403,
  email_unverified: 403,
  mfa_required: 403,
  not_found: 404,
  conflict: 409,
  payload_too_large: 413,
  rate_limited: 429,
  internal: 500,
  unavailable: 503,
} as const satisfies Record<ErrorCode, ContentfulStatusCode>;

export type ErrorStatus = (typeof ERROR_STATUS)[ErrorCode];

export function statusOf(err: AppError): ErrorStatus {
  return ERROR_STATUS[err.code];
}

interface ErrorBody {
  error: { code: ErrorCode; message: string; details?: unknown };
}

/** Hono's own exceptions (bad JSON, wrong content type) speak our shape too. */
function fromHttpException(err: HTTPException): AppError {
  if (err.status === 400 && /json/i.test(err.message)) return new AppError('invalid_json', 'Request body is not valid JSON');
  if (err.status === 413) return new AppError('payload_too_large', 'Request body is too large');
  if (err.status === 403) return new AppError('forbidden', 'Cross-site request refused');
  if (err.status === 401) return new AppError('unauthenticated', err.message || 'Sign in required');
  if (err.status === 404) return notFound();
  return new AppError('bad_request', err.message || 'Bad request');
}

export function toAppError(err: unknown): AppError {
  if (err instanceof AppError) return err;
  if (err instanceof HTTPException) return fromHttpException(err);
  return new AppError('internal', 'Internal error');
}

function errorJson(err: AppError): ErrorBody {
  return {
    error: {
      code: err.code,
      message: err.message,
      ...(err.details === undefined ? {} : { details: err.details }),
    },
  };
}

export function toErrorResponse(c: Context, err: AppError): Response {
  return c.json(errorJson(err), statusOf(err));
}
