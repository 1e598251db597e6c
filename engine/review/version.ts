// Version discipline: which semantic-version bump a change between two guideline versions
// requires, and whether the head's manifest version satisfies it. Pure.
//
// THE RULE (also in the README, "For reviewers"). A consumer pins a guideline version the way it
// pins a library: "^1.4.0" accepts 1.x.y, a patch must not change any answer, a minor may only add.
//
//   patch  wording, citations, interpretation notes, numbering, tables, case corpus only:
//          for the same facts every recommendation, clause and derived value is the same.
//   minor  something was added and nothing was taken away: a new recommendation, clause,
//          definition or input; widened eligibility (some regression case goes from
//          does-not-apply or undecided to applies, and no case stops applying); a wider accepted
//          input range or a new enum value; a value that was undecided is now decided or back.
//   major  something a consumer relied on changed or went away: a recommendation, clause,
//          public definition or input removed; narrowed eligibility (some case stops applying);
//          any grade changed, up or down (a grade is part of what the recommendation says);
//          a clause's action changed (recommend → consider, another intervention); an input's
//          type or unit changed or its accepted range narrowed; a public derived value changed
//          from one known value to another for some case; a case that evaluated now fails.
//
// Why outcomes decide logic changes: whether a new threshold widens or narrows depends on where
// it sits (under a "not", inside a definition another rule negates), so the engine does not guess
// from the syntax; it runs every regression case on both versions (compare()) and reads the
// direction off the cases that move. A logic change that moves no case is not proven harmless,
// only untested: it requires major, and the reason says to add a boundary case. Strict by default:
// a clinical consumer that auto-updates within "^x.y" must never lose a recommendation silently.
//
// Versions below 1.0.0 follow the caret convention of npm and Cargo, where "^0.y.z" accepts only
// 0.y.*: there, a change that requires major is satisfied by a minor bump (0.1.0 → 0.2.0) and one
// that requires minor by a patch bump (0.1.0 → 0.1.1). The same version never names two different
// contents, so any content change requires at least a patch bump.
import semver from 'semver';
import type { Comparison } from '../authoring/compare.ts';
import { formatValue } from './report.ts';
import type { EntityDiff, FieldChange } from './diff.ts';
import { rootNames } from '../runtime/graph.ts';
import type { Guideline } from '../runtime/types.ts';

export type Bump = 'none' | 'patch' | 'minor' | 'major';
export const BUMPS: readonly Bump[] = ['none', 'patch', 'minor', 'major'];

export interface BumpReason {
  level: Bump;
  /** node or input id, or case id for outcome reasons */
  node?: string;
  case?: string;
  text: string;
}

export interface BumpAssessment {
  /** the bump the change requires */
  required: Bump;
  /** why: every reason at the required level first, then the others */
  reasons: BumpReason[];
  base: string;
  head: string;
  /** the bump head's version makes over base's (downgrade: head is lower; invalid: not semver) */
  actual: Bump | 'downgrade' | 'invalid';
  /** the level that bump covers (shifted down one below 1.0.0) */
  covers: Bump;
  satisfied: boolean;
  /** one sentence: satisfied, or what to change */
  message: string;
}

const rank = (b: Bump) => BUMPS.indexOf(b);
const maxBump = (a: Bump, b: Bump): Bump => (rank(a) >= rank(b) ? a : b);

export interface ParsedVersion { major: number; minor: number; patch: number; pre?: string; build?: string }

/** A semantic version (semver 2.0.0, with pre-release and +build metadata), or undefined. */
export function parseVersion(v: string): ParsedVersion | undefined {
  const p = semver.parse(v);
  // Exactly a version: no "v" prefix, no spaces (semver.parse would tolerate them).
  if (!p || `${p.version}${p.build.length ? `+${p.build.join('.')}` : ''}` !== v) return undefined;
  return {
    major: p.major, minor: p.minor, patch: p.patch,
    ...(p.prerelease.length ? { pre: p.prerelease.join('.') } : {}),
    ...(p.build.length ? { build: p.build.join('.') } : {}),
  };
}

/**
 * The bump from one version to another, in semver precedence (pre-release identifiers compared
 * numerically where numeric: rc.9 < rc.10; build metadata ignored, as semver says).
 */
export function bumpBetween(base: string, head: string): Bump | 'downgrade' | 'invalid' {
  const a = parseVersion(base);
  const b = parseVersion(head);
  if (!a || !b) return 'invalid';
  const c = semver.compare(base, head);
  if (c > 0) return 'downgrade';
  if (c === 0) return 'none';
  if (b.major !== a.major) return 'major';
  if (b.minor !== a.minor) return 'minor';
  // Same x.y.z with a later pre-release, or the release after its pre-release: a patch bump.
  return 'patch';
}

/** What a bump from `base` covers: below 1.0.0 each level is shifted down one (caret semantics). */
export function coveredBy(base: string, actual: Bump): Bump {
  const a = parseVersion(base);
  if (!a || a.major > 0 || actual === 'none') return actual;
  return actual === 'patch' ? 'minor' : 'major';
}

/** The smallest version after `base` that satisfies `required`. */
export function suggestVersion(base: string, required: Bump): string {
  const a = parseVersion(base);
  if (!a || required === 'none') return base;
  const zero = a.major === 0;
  const level = zero ? (required === 'major' ? 'minor' : 'patch') : required;
  if (level === 'major') return `${a.major + 1}.0.0`;
  if (level === 'minor') return `${a.major}.${a.minor + 1}.0`;
  return a.pre ? `${a.major}.${a.minor}.${a.patch}` : `${a.major}.${a.minor}.${a.patch + 1}`;
}

/** The level one node or input change requires (logic and thresholds: see outcome reasons). */
export function changeLevel(e: EntityDiff, c: FieldChange, base: Guideline): Bump {
  if (e.status === 'added') return 'minor';
  if (e.status === 'removed') {
    if (e.kind === 'recommendation' || e.kind === 'practice-point' || e.kind === 'input') return 'major';
    if (e.kind === 'definition') return isPublic(base, e.id) ? 'major' : 'minor';
    return 'minor';
  }
  switch (c.category) {
    case 'statement': case 'wording': case 'citation': case 'interpretation': case 'table':
      return 'patch';
    case 'metadata':
      return c.aspect === 'kind' || c.aspect === 'id' ? 'major' : 'patch';
    case 'grade':
      return 'major';
    case 'action':
      return 'major';
    case 'clause':
      return c.direction === 'added' ? 'minor' : 'major';
    case 'input':
      if (c.aspect === 'type' || c.aspect === 'unit' || c.aspect === 'items') return 'major';
      if (c.direction === 'narrowed' || c.direction === 'removed') return 'major';
      return 'minor';
    case 'definition':
      if (c.aspect === 'public') return c.direction === 'removed' ? 'major' : 'minor';
      if (c.direction === 'added') return 'minor';
      return isPublic(base, e.id) ? 'major' : 'minor';
    case 'logic': case 'threshold':
      return 'none'; // decided by the outcomes, see assessBump
  }
}

function isPublic(g: Guideline, id: string): boolean {
  const n = g.nodes.find((x) => x.id === id);
  return !!n && n.kind === 'definition' && !!n.public;
}

/** Reasons the outcome diff gives, one per moved recommendation, clause or value per case. */
export function outcomeReasons(outcomes: Comparison, base: Guideline, head: Guideline): BumpReason[] {
  const reasons: BumpReason[] = [];
  const publicDef = (id: string) => isPublic(base, id) || isPublic(head, id);
  for (const c of outcomes.changed) {
    if (c.error) {
      if (c.error.after && !c.error.before) reasons.push({ level: 'major', case: c.id, text: `case ${c.id} no longer evaluates: ${c.error.after}` });
      else reasons.push({ level: 'minor', case: c.id, text: c.error.after ? `case ${c.id} fails differently: ${c.error.after}` : `case ${c.id} now evaluates (it failed before)` });
    }
    for (const o of c.outcomes) {
      if (o.before === 'applies' && o.after !== 'applies') reasons.push({ level: 'major', node: o.key.split('.')[0], case: c.id, text: `narrowed: ${o.key} stops applying to case ${c.id} (applies → ${o.after})` });
      else if (o.after === 'applies') reasons.push({ level: 'minor', node: o.key.split('.')[0], case: c.id, text: `widened: ${o.key} now applies to case ${c.id} (${o.before} → applies)` });
      else reasons.push({ level: 'minor', node: o.key.split('.')[0], case: c.id, text: `${o.key} for case ${c.id}: ${o.before} → ${o.after}` });
    }
    for (const v of c.values) {
      const known = (x: unknown) => x !== null && !(typeof x === 'object' && x !== null && !Array.isArray(x) && 'undecided' in x);
      const changedKnown = known(v.before) && known(v.after);
      const level: Bump = changedKnown && publicDef(v.id) ? 'major' : 'minor';
      reasons.push({ level, node: v.id, case: c.id, text: `${v.id} for case ${c.id}: ${formatValue(v.before)} → ${formatValue(v.after)}` });
    }
  }
  return reasons;
}

export interface AssessInput {
  entities: EntityDiff[];
  outcomes: Comparison;
  base: Guideline;
  head: Guideline;
  /** any difference at all, including cases and file moves */
  contentDiffers: boolean;
}

export function assessBump({ entities, outcomes, base, head, contentDiffers }: AssessInput): BumpAssessment {
  const reasons: BumpReason[] = [];
  for (const e of entities) {
    const levels = e.changes.map((c) => changeLevel(e, c, base));
    if (e.status !== 'changed') {
      reasons.push({ level: levels[0] ?? 'minor', node: e.id, text: `${e.kind} ${e.id} ${e.status}` });
      continue;
    }
    e.changes.forEach((c, i) => {
      if (levels[i] !== 'none') reasons.push({ level: levels[i], node: e.id, text: `${e.id}: ${c.summary}` });
    });
  }
  const moved = outcomeReasons(outcomes, base, head);
  reasons.push(...moved);

  // Logic and threshold changes: proven by the cases that move, or else untested (major).
  const movedNodes = new Set(moved.map((r) => r.node).filter((x): x is string => !!x));
  const dependents = dependentsOf(head);
  for (const e of entities) {
    if (e.status !== 'changed') continue;
    if (!e.changes.some((c) => c.category === 'logic' || c.category === 'threshold')) continue;
    const affected = [e.id, ...(dependents.get(e.id) ?? [])];
    if (!affected.some((id) => movedNodes.has(id))) {
      reasons.push({ level: 'major', node: e.id, text: `${e.id}: its logic changed but no regression case moves, so the effect is untested; add a case at the new boundary (a case that shows only widening makes this minor)` });
    }
  }
  let required: Bump = contentDiffers || reasons.length ? 'patch' : 'none';
  for (const r of reasons) required = maxBump(required, r.level);
  if (required !== 'none' && !reasons.length) reasons.push({ level: 'patch', text: 'the content changed (cases, files): the same version must not name two different bundles' });
  reasons.sort((a, b) => rank(b.level) - rank(a.level));

  const baseV = base.manifest.version;
  const headV = head.manifest.version;
  const actual = bumpBetween(baseV, headV);
  const covers = actual === 'downgrade' || actual === 'invalid' ? 'none' : coveredBy(baseV, actual);
  const satisfied = actual !== 'downgrade' && actual !== 'invalid' && rank(covers) >= rank(required);
  const zero = parseVersion(baseV)?.major === 0 ? ' (below 1.0.0, caret rules)' : '';
  const message = actual === 'invalid'
    ? `version ${headV} or ${baseV} is not semantic versioning`
    : actual === 'downgrade'
      ? `version goes down from ${baseV} to ${headV}; required: ${required} bump, e.g. ${suggestVersion(baseV, required)}`
      : satisfied
        ? `version ${baseV} → ${headV} (${actual}) satisfies the required ${required} bump${zero}`
        : `version ${baseV} → ${headV} (${actual}) does not satisfy the required ${required} bump${zero}: set "version" in manifest.json to ${suggestVersion(baseV, required)} or later`;
  return { required, reasons, base: baseV, head: headV, actual, covers, satisfied, message };
}

/** id → ids of the nodes that read it, directly or through other definitions. */
function dependentsOf(g: Guideline): Map<string, string[]> {
  const readers = new Map<string, Set<string>>();
  for (const n of g.nodes) for (const name of rootNames(n)) {
    if (!readers.has(name)) readers.set(name, new Set());
    readers.get(name)!.add(n.id);
  }
  const out = new Map<string, string[]>();
  for (const id of readers.keys()) {
    const seen = new Set<string>();
    const stack = [id];
    while (stack.length) for (const r of readers.get(stack.pop()!) ?? []) if (!seen.has(r)) { seen.add(r); stack.push(r); }
    out.set(id, [...seen]);
  }
  return out;
}
