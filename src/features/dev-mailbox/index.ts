import type { Feature } from '../../platform/feature';
import { devMailboxPages } from './pages';

export const devMailbox: Feature = {
  name: 'dev-mailbox',
  pages: [{ path: '/dev/mailbox', app: devMailboxPages, owns: ['/dev/*'] }],
};
