// Accepting a case's new outcomes: when an edit moves a regression case, the member who verified
// each new result accepts it, and the case's expectations take the new values. Pure: the editor's
// server calls it inside one atomic save (with the case's golden trace), vitest checks it.
import { sameJson } from '../runtime/logic.ts';
import type { Case, CaseExpect, JsonValue, Status } from '../runtime/types.ts';
import type { Mismatch } from './cases.ts';

/** One accepted result: the case, the expectation key ("outcomes.x.a") and the new value seen. */
export interface AcceptedOutcome { case: string; key: string; value: JsonValue }

/** Whether every mismatch of `caseId` is accepted with exactly the value it now has. */
export function allAccepted(caseId: string, mismatches: Mismatch[], accepted: AcceptedOutcome[]): boolean {
  return mismatches.every((m) => accepted.some((a) => a.case === caseId && a.key === m.key && sameJson(a.value, m.actual)));
}

/**
 * The case with each mismatch's new value as its expectation. A derived value that became
 * undecided moves from `values` to `undecided` (with the facts it now needs), and back; a
 * rule or clause that no longer exists cannot be accepted (throws: the case must be edited).
 */
export function acceptOutcomes(c: Case, mismatches: Mismatch[]): Case {
  const e: CaseExpect = structuredClone(c.expect ?? {});
  for (const m of mismatches) {
    const dot = m.key.indexOf('.');
    const kind = m.key.slice(0, dot);
    const id = m.key.slice(dot + 1);
    const a = m.actual;
    if (typeof a === 'string' && a.startsWith('(no such')) throw new Error(`${c.id}: ${m.key} names nothing that exists any more (${a}); edit the case itself`);
    if (kind === 'values' || kind === 'undecided') {
      delete e.values?.[id];
      delete e.undecided?.[id];
      if (a !== null && typeof a === 'object' && !Array.isArray(a) && 'undecided' in a) (e.undecided ??= {})[id] = [...(a.undecided as string[])].sort();
      else if (a !== null && typeof a === 'object' && !Array.isArray(a) && 'known' in a) (e.values ??= {})[id] = a.known as JsonValue;
      else if (kind === 'undecided' && Array.isArray(a)) (e.undecided ??= {})[id] = [...(a as string[])].sort();
      else (e.values ??= {})[id] = a;
    } else if (kind === 'outcomes') (e.outcomes ??= {})[id] = a as Status;
    else if (kind === 'missing') (e.missing ??= {})[id] = [...(a as string[])].sort();
    else throw new Error(`${c.id}: unknown expectation ${m.key}`);
  }
  for (const k of ['values', 'undecided', 'outcomes', 'missing'] as const) if (e[k] && !Object.keys(e[k]!).length) delete e[k];
  return { ...c, expect: e };
}
