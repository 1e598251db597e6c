// The committee (shared) mode. Placeholder until the accounts and proposals land.
import type { CommitteeHook } from '../server.ts';

export async function openCommittee(_o: { db: string; approvals: number; secureCookies: boolean }): Promise<CommitteeHook> {
  throw new Error('the shared mode is not available yet');
}
