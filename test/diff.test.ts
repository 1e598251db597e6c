// The reviewer's diff: a copy of the guideline is edited in a temp dir (raise a threshold,
// downgrade a grade, remove a recommendation, ...) and `guideline diff` must report each change,
// the cases it moves and the right bump, and fail on a version that does not satisfy it.
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { bumpBetween, coveredBy, diffGuidelines, formatChangelog, formatDiff, gradeDirection, parseVersion, suggestVersion, type GuidelineDiff } from '../engine/review/index.ts';
import { evaluate, makeBundle } from '../engine/runtime/index.ts';
import { main } from '../engine/node/cli.ts';
import { loadGuideline } from '../engine/node/load.ts';
import { GUIDELINE_DIR } from './helpers.ts';

const temps: string[] = [];
afterAll(() => { for (const t of temps) rmSync(t, { recursive: true, force: true }); }, 60000); // many copies: slow under load

function copyGuideline(): string {
  const root = mkdtempSync(join(tmpdir(), 'guideline-diff-'));
  temps.push(root);
  const dir = join(root, 'klca');
  cpSync(GUIDELINE_DIR, dir, { recursive: true });
  return dir;
}

function findFile(dir: string, name: string): string {
  for (const entry of readdirSync(dir)) {
    const p = join(dir, entry);
    if (statSync(p).isDirectory()) {
      const found = findFile(p, name);
      if (found) return found;
    } else if (entry === name) return p;
  }
  return '';
}

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
function edit(dir: string, id: string, fn: (doc: Json) => void): void {
  const path = id === 'manifest' ? join(dir, 'manifest.json') : findFile(dir, `${id}.json`);
  expect(path, `no file for ${id}`).not.toBe('');
  const doc = JSON.parse(readFileSync(path, 'utf8'));
  fn(doc);
  writeFileSync(path, JSON.stringify(doc, null, 2) + '\n');
}
const setVersion = (dir: string, v: string) => edit(dir, 'manifest', (m) => { m.version = v; });

/** Remove a recommendation and every case expectation that names it. */
function removeRecommendation(dir: string, id: string): void {
  rmSync(findFile(dir, `${id}.json`));
  const walk = (d: string) => {
    for (const entry of readdirSync(d)) {
      const p = join(d, entry);
      if (statSync(p).isDirectory()) { walk(p); continue; }
      const doc = JSON.parse(readFileSync(p, 'utf8'));
      let touched = false;
      for (const section of ['outcomes', 'missing'] as const) {
        for (const key of Object.keys(doc.expect?.[section] ?? {})) {
          if (key === id || key.startsWith(`${id}.`)) { delete doc.expect[section][key]; touched = true; }
        }
        if (touched && doc.expect[section] && !Object.keys(doc.expect[section]).length) delete doc.expect[section];
      }
      if (touched && !Object.keys(doc.expect).length) rmSync(p); // nothing left to check
      else if (touched) writeFileSync(p, JSON.stringify(doc, null, 2) + '\n');
    }
  };
  walk(join(dir, 'cases'));
}

const raiseThreshold = (dir: string) => edit(dir, 'portal_hypertension', (n) => {
  const cmp = n.expr.or[2].and[0]['<'];
  expect(cmp[1]).toBe(100000);
  cmp[1] = 120000;
});
const downgradeGrade = (dir: string) => edit(dir, 'hepatic_resection_1', (n) => { n.clauses[0].grade = 'B1'; });

function load(dir: string) {
  const { guideline, findings } = loadGuideline(dir);
  expect(findings.filter((f) => f.severity === 'error'), `findings in ${dir}`).toEqual([]);
  return guideline;
}

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(args, { out: (s) => { out += s; }, err: (s) => { err += s; } });
  return { code, out, err };
}

const base = load(GUIDELINE_DIR);
const reasonsAt = (d: GuidelineDiff, level: string) => d.bump.reasons.filter((r) => r.level === level).map((r) => r.text).join('\n');

describe('diffGuidelines', () => {
  it('finds nothing between a guideline and itself', () => {
    const d = diffGuidelines(base, load(GUIDELINE_DIR));
    expect(d.entities).toEqual([]);
    expect(d.outcomes.changed).toEqual([]);
    expect(d.bump.required).toBe('none');
    expect(d.bump.satisfied).toBe(true);
  });

  it('reports a raised threshold, the cases it moves, and requires major (eligibility narrows)', () => {
    const dir = copyGuideline();
    raiseThreshold(dir);
    const d = diffGuidelines(base, load(dir));
    const e = d.entities.find((x) => x.id === 'portal_hypertension')!;
    expect(e.status).toBe('changed');
    const t = e.changes.find((c) => c.category === 'threshold')!;
    expect(t).toMatchObject({ before: 100000, after: 120000, direction: 'up', pointer: '/expr/or/2/and/0/</1' });
    expect(t.beforeText).toContain('100000');
    expect(t.afterText).toContain('120000');
    expect(e.changes.some((c) => c.category === 'logic')).toBe(false); // only a number moved
    const moved = d.outcomes.changed.find((c) => c.id === 'platelets_100000_with_splenomegaly_is_not_portal_hypertension')!;
    expect(moved.values).toContainEqual({ id: 'portal_hypertension', before: false, after: true });
    expect(moved.outcomes).toContainEqual({ key: 'hepatic_resection_1', before: 'applies', after: 'does-not-apply' });
    expect(d.bump.required).toBe('major');
    expect(reasonsAt(d, 'major')).toMatch(/narrowed: hepatic_resection_1 stops applying to case platelets_100000/);
    expect(d.bump.satisfied).toBe(false); // the same version on both sides
  });

  it('reports a downgraded grade per clause and requires major', () => {
    const dir = copyGuideline();
    downgradeGrade(dir);
    const d = diffGuidelines(base, load(dir));
    const e = d.entities.find((x) => x.id === 'hepatic_resection_1')!;
    expect(e.changes).toContainEqual(expect.objectContaining({ category: 'grade', clause: 'a', before: 'A1', after: 'B1', direction: 'down' }));
    // A grade moves no status, but it is a change for every case whose result carries the clause
    // (it applies or is undecided): those cases, and only those, list it.
    const carrying = base.cases.filter((c) => {
      const status = evaluate(base, c.facts).rules.hepatic_resection_1?.clauses.find((x) => x.id === 'a')?.status;
      return status === 'applies' || status === 'undecided';
    }).map((c) => c.id).sort();
    expect(carrying.length).toBeGreaterThan(0);
    expect(d.outcomes.changed.map((c) => c.id).sort()).toEqual(carrying);
    for (const c of d.outcomes.changed) {
      expect(c.outcomes).toEqual([]);
      expect(c.values).toEqual([]);
      expect(c.grades).toEqual([expect.objectContaining({ key: 'hepatic_resection_1', before: 'A1', after: 'B1' })]);
    }
    expect(formatDiff(d, 'text')).toMatch(/hepatic_resection_1 \((applies|undecided)\): grade A1 → B1/);
    expect(d.bump.required).toBe('major');
  });

  it('reports a removed recommendation, the cases that lose it, and requires major', () => {
    const dir = copyGuideline();
    removeRecommendation(dir, 'hepatic_resection_4');
    const d = diffGuidelines(base, load(dir));
    expect(d.entities.find((x) => x.id === 'hepatic_resection_4')).toMatchObject({ status: 'removed', kind: 'recommendation', label: 'Hepatic resection 4' });
    const lost = d.outcomes.changed.filter((c) => c.outcomes.some((o) => o.key === 'hepatic_resection_4' && o.before === 'applies' && o.after === 'absent'));
    expect(lost.length).toBeGreaterThan(0);
    expect(d.bump.required).toBe('major');
    expect(reasonsAt(d, 'major')).toMatch(/recommendation hepatic_resection_4 removed/);
  });

  it('requires minor for an added recommendation that only widens, patch for wording and citations', () => {
    const dir = copyGuideline();
    const src = JSON.parse(readFileSync(findFile(dir, 'hepatic_resection_7.json'), 'utf8'));
    src.id = 'hepatic_resection_8';
    src.number = 8;
    delete src.numberInText;
    src.citations[0].recommendation = 'Hepatic resection 8';
    writeFileSync(join(dir, 'nodes', 'hepatic-resection', 'hepatic_resection_8.json'), JSON.stringify(src, null, 2));
    const d = diffGuidelines(base, load(dir));
    expect(d.entities.map((x) => `${x.status} ${x.id}`)).toEqual(['added hepatic_resection_8']);
    expect(d.outcomes.changed.some((c) => c.outcomes.some((o) => o.key === 'hepatic_resection_8' && o.after === 'applies'))).toBe(true);
    expect(d.bump.required).toBe('minor');

    const dir2 = copyGuideline();
    edit(dir2, 'hepatic_resection_2', (n) => {
      n.description = 'Limited resection when liver function is borderline.';
      n.citations[0].references.push(999);
    });
    const d2 = diffGuidelines(base, load(dir2));
    expect(d2.entities[0].changes.map((c) => c.category).sort()).toEqual(['citation', 'citation', 'wording']);
    expect(d2.bump.required).toBe('patch');
  });

  it('calls a logic change that moves no case untested, and requires major', () => {
    const dir = copyGuideline();
    edit(dir, 'hepatic_resection_7', (n) => { n.clauses[0].when = { and: [{ var: 'recurrence_after_resection' }, { '<=': [{ var: 'ecog' }, 4] }] }; });
    const d = diffGuidelines(base, load(dir));
    const logic = d.entities[0].changes.find((c) => c.category === 'logic')!;
    expect(logic.beforeText).toMatch(/^Recurrence after .*resection$/);
    expect(logic.afterText).toMatch(/^Recurrence after .*resection and .*≤ 4$/);
    expect(d.bump.required).toBe('major');
    expect(reasonsAt(d, 'major')).toMatch(/untested/);
  });
});

describe('version rules', () => {
  it('classifies bumps, with caret rules below 1.0.0', () => {
    expect(bumpBetween('1.2.3', '2.0.0')).toBe('major');
    expect(bumpBetween('1.2.3', '1.3.0')).toBe('minor');
    expect(bumpBetween('1.2.3', '1.2.4')).toBe('patch');
    expect(bumpBetween('1.2.3', '1.2.3')).toBe('none');
    expect(bumpBetween('1.2.3', '1.2.2')).toBe('downgrade');
    expect(bumpBetween('1.0.0-rc.1', '1.0.0')).toBe('patch');
    expect(coveredBy('0.1.0', 'minor')).toBe('major');
    expect(coveredBy('0.1.0', 'patch')).toBe('minor');
    expect(coveredBy('1.1.0', 'minor')).toBe('minor');
    expect(suggestVersion('0.1.0', 'major')).toBe('0.2.0');
    expect(suggestVersion('1.4.2', 'minor')).toBe('1.5.0');
    expect(gradeDirection('A1', 'B1')).toBe('down');
    expect(gradeDirection('C2', 'C1')).toBe('up');
    expect(gradeDirection('A2', 'B1')).toBe('mixed');
  });
});

describe('guideline diff (CLI)', () => {
  const dir = copyGuideline();
  raiseThreshold(dir);
  downgradeGrade(dir);
  removeRecommendation(dir, 'hepatic_resection_4');
  // The shipped version (0.x.y) and the versions a major change does and does not satisfy below 1.0.0.
  const shipped = base.manifest.version;
  const [, minor] = shipped.split('.').map(Number);
  const patchBump = `0.${minor}.${Number(shipped.split('.')[2]) + 1}`;
  const majorBump = `0.${minor + 1}.0`;

  it('reports every change and fails on a version that does not satisfy the bump', async () => {
    setVersion(dir, patchBump); // a patch-level bump under 0.x covers minor only
    const r = await cli(['diff', GUIDELINE_DIR, dir]);
    expect(r.code).toBe(1);
    expect(r.out).toContain('Required bump: MAJOR');
    expect(r.out).toMatch(/\[threshold up\] threshold 100000 → 120000/);
    expect(r.out).toMatch(/\[grade down\] grade of clause a downgraded: A1 → B1/);
    expect(r.out).toMatch(/^- hepatic_resection_4 {2}\(recommendation: Hepatic resection 4\)/m);
    expect(r.out).toContain('platelets_100000_with_splenomegaly_is_not_portal_hypertension');
    expect(r.out).toContain('hepatic_resection_1: applies → does-not-apply');
    expect(r.err).toMatch(new RegExp(`does not satisfy the required major bump.*${majorBump.replace(/\./g, '\\.')}`));
  });

  it('passes once the version is bumped enough, in every format', async () => {
    setVersion(dir, majorBump);
    const text = await cli(['diff', GUIDELINE_DIR, dir]);
    expect(text.code).toBe(0);
    const md = await cli(['diff', GUIDELINE_DIR, dir, '--format', 'markdown']);
    expect(md.out).toContain('**Required bump: major**');
    expect(md.out).toContain('| `platelets_100000_with_splenomegaly_is_not_portal_hypertension`');
    const json = await cli(['diff', GUIDELINE_DIR, dir, '--format=json']);
    const d = JSON.parse(json.out) as GuidelineDiff;
    expect(d.bump).toMatchObject({ required: 'major', satisfied: true, base: shipped, head: majorBump });
    expect(d.entities.map((e) => e.id)).toEqual(expect.arrayContaining(['hepatic_resection_1', 'hepatic_resection_4', 'portal_hypertension']));
    const html = await cli(['diff', GUIDELINE_DIR, dir, '--format', 'html']);
    expect(html.out).toMatch(/^<!DOCTYPE html>/);
    expect(html.out).toContain('threshold 100000 → 120000');
    expect(html.out).not.toMatch(/<script|<link|src=/);
  });

  it('drafts a changelog entry with the impacted nodes and cases', async () => {
    const r = await cli(['changelog', GUIDELINE_DIR, dir, '--date', '2024-01-31']);
    expect(r.code).toBe(0);
    expect(r.out.startsWith(`## [${majorBump}] - 2024-01-31`)).toBe(true);
    expect(r.out).toMatch(/### Removed\n\n- recommendation `hepatic_resection_4`/);
    expect(r.out).toMatch(/### Changed[\s\S]*`hepatic_resection_1`[\s\S]*A1 → B1/);
    expect(r.out).toMatch(/### Regression cases that move[\s\S]*platelets_100000_with_splenomegaly_is_not_portal_hypertension/);
  });

  it('reads either side from a bundle file', async () => {
    const bundlePath = join(dir, '..', 'base.bundle.json');
    writeFileSync(bundlePath, JSON.stringify(makeBundle(base)));
    const r = await cli(['diff', bundlePath, dir, '--format', 'json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out).base.hash).toBe(makeBundle(base).hash);
  });

  it('reads a side from a git revision without checking it out', async () => {
    const repo = join(dir, '..', 'repo');
    const gdir = join(repo, 'guideline', 'klca');
    cpSync(GUIDELINE_DIR, gdir, { recursive: true });
    const git = (...args: string[]) => execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.org', '-c', 'commit.gpgsign=false', ...args], { cwd: repo, stdio: 'pipe' });
    git('init', '-q');
    git('add', '-A');
    git('commit', '-qm', 'base');
    git('tag', 'v0.1.0');
    downgradeGrade(gdir);
    const r = await cli(['diff', 'git:v0.1.0', gdir, '--dir', gdir]);
    expect(r.code).toBe(1);
    expect(r.out).toContain('grade of clause a downgraded: A1 → B1');
    git('commit', '-qam', 'downgrade');
    const r2 = await cli(['diff', 'git:HEAD~1', 'git:HEAD', '--dir', gdir, '--format', 'json']);
    expect(JSON.parse(r2.out).bump.required).toBe('major');
    const bad = await cli(['diff', 'git:no-such-rev', gdir, '--dir', gdir]);
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/git rev-parse failed|not a revision/);
  });

  it('uses the same outcome diff for a text report of an unchanged guideline', () => {
    const d = diffGuidelines(base, base);
    expect(formatDiff(d, 'text')).toContain('Outcomes: 0 of');
    expect(formatChangelog(d, '2024-01-01')).toContain('No change in content.');
  });
});

describe('versions are semver (semver package)', () => {
  it('orders pre-releases numerically: 1.0.0-rc.9 → 1.0.0-rc.10 is a patch, not a downgrade', () => {
    expect(bumpBetween('1.0.0-rc.9', '1.0.0-rc.10')).toBe('patch');
    expect(bumpBetween('1.0.0-rc.10', '1.0.0-rc.9')).toBe('downgrade');
    expect(bumpBetween('1.0.0-rc.2', '1.0.0')).toBe('patch');
    expect(bumpBetween('1.0.0', '1.0.0-rc.2')).toBe('downgrade');
  });
  it('accepts +build metadata and ignores it for precedence', () => {
    expect(parseVersion('1.2.3+build.7')).toMatchObject({ major: 1, minor: 2, patch: 3, build: 'build.7' });
    expect(bumpBetween('1.2.3', '1.2.3+build.7')).toBe('none');
    expect(bumpBetween('1.2.3+a', '1.3.0+b')).toBe('minor');
    expect(parseVersion('v1.2.3')).toBeUndefined();
    expect(parseVersion('1.2')).toBeUndefined();
  });
});
