import { zValidator } from '@hono/zod-validator';
import type { ValidationTargets } from 'hono';
import { z } from 'zod';
import { AppError } from '../errors';
import { withDoc, type ParameterTarget } from './route-doc';

/**
 * `zValidator` whose failures are our 400 `validation_failed`, with zod's
 * flattened issues in `error.details`. Every API input goes through this.
 */
export function validate<Target extends keyof ValidationTargets, Schema extends z.ZodType>(
  target: Target,
  schema: Schema,
) {
  const validator = zValidator(target, schema, (result) => {
    if (!result.success) {
      throw new AppError('validation_failed', `Invalid ${target}`, z.flattenError(result.error));
    }
  });
  return withDoc(validator, { request: { target: target as ParameterTarget, schema }, errors: [400] });
}
