import { bodyLimit } from 'hono/body-limit';
import { AppError } from '../errors';

/** Rejects bodies over `maxSize` bytes with 413 before anything reads them. */
export function limitBody(maxSize: number) {
  return bodyLimit({
    maxSize,
    onError: () => {
      throw new AppError('payload_too_large', `Request body exceeds ${maxSize} bytes`);
    },
  });
}
