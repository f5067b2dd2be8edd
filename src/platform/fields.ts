/**
 * Field schemas shared by every feature's inputs, so an email or a name is
 * the same thing in sign-up, invitations, projects and API keys.
 */
import { z } from 'zod';
import { ROLES } from './db/schema';

/** Trimmed, lower-cased, at most 254 characters: how addresses are stored and compared. */
export const email = z
  .string()
  .trim()
  .toLowerCase()
  .pipe(z.email({ message: 'Enter a valid email address' }))
  .refine((value) => value.length <= 254, 'Email is too long');

export const role = z.enum(ROLES);

export const CONTROL_CHARACTERS_MESSAGE = 'Name must not contain line breaks, tabs or other control characters';
export const FORMATTING_CHARACTERS_MESSAGE =
  'Name must not contain invisible or text-direction characters (such as U+202E or U+200B) or broken (unpaired surrogate) characters';

/**
 * A name a person types (user, tenant, project, API key): trimmed, 1 to `max`
 * characters, and no control characters. Names travel into email headers
 * (the tenant's name is in the invitation's Subject), log lines and HTML;
 * a CR/LF in one could add a header such as `Bcc:`, so they are refused at
 * the door rather than escaped at every exit. Format characters (category
 * Cf: bidi overrides, zero-width spaces) make a name read as something it is
 * not (`U+202E` turns "Acme‮gpj.exe" around), and an unpaired surrogate
 * (category Cs under the `u` flag) is not text at all; both are refused too.
 */
export function humanName(max = 100) {
  return z
    .string()
    .trim()
    .min(1, 'Name is required')
    .max(max, `Use at most ${max} characters`)
    .regex(/^\P{Cc}*$/u, CONTROL_CHARACTERS_MESSAGE)
    .regex(/^[^\p{Cf}\p{Cs}]*$/u, FORMATTING_CHARACTERS_MESSAGE);
}

/** A row id in a URL (`prj_…`, `usr_…`): bounded, so a long one is refused before any query. */
export const entityId = z.string().min(1).max(64);
