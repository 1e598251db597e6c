// `guideline users ...`: placeholder until the accounts land.
export async function runUsers(_argv: string[], io: { err: (s: string) => void }): Promise<number> {
  io.err('accounts are not available yet\n');
  return 2;
}
