import { z } from 'zod';
import { email } from '../../platform/fields';
import { password } from '../auth/inputs';

const token = z.string().min(10).max(200);
const code = z.string().trim().min(6, 'Enter the 6-digit code').max(20);

export const tokenBody = z.strictObject({ token });
export const passwordResetBody = z.strictObject({ email });
export const passwordResetConfirmBody = z.strictObject({ token, password });
export const changePasswordBody = z.strictObject({ currentPassword: z.string().min(1).max(200), newPassword: password });
export const changeEmailBody = z.strictObject({ email, currentPassword: z.string().min(1).max(200) });
export const codeBody = z.strictObject({ code });
export const sessionParams = z.strictObject({ id: z.string().min(1).max(100) });
export const securityLogQuery = z.strictObject({
  cursor: z.coerce.number().int().positive().optional(),
  limit: z.coerce.number().int().min(1).max(100).default(50),
});
