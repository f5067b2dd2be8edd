import { z } from 'zod';

/**
 * A name a person types (user, tenant, project, API key): trimmed, 1 to `max`
 * characters, and no control characters. Names travel into email headers
 * (the tenant's name is in the invitation's Subject), log lines and HTML;
 * a CR/LF in one could add a header such as `Bcc:`, so they are refused at
 * the door rather than escaped at every exit.
 */
export function humanName(max = 100) {
  return z
    .string()
    .trim()
    .min(1, 'Name is required')
    .max(max, `Use at most ${max} characters`)
    .regex(/^\P{Cc}*$/u, 'Name must not contain line breaks, tabs or other control characters');
}
