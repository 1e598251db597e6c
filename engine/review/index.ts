// The review wing: for reviewers. Diffs, the version rule, reports, the book and the changelog.
// May import authoring and runtime.
export { diffGuidelines, diffEntities, diffCases, gradeDirection, citationText, type GuidelineDiff, type EntityDiff, type FieldChange, type ChangeCategory, type Direction, type CaseDiff, type DiffOptions, type Side, type EntityKind } from './diff.ts';
export { assessBump, bumpBetween, coveredBy, parseVersion, suggestVersion, changeLevel, outcomeReasons, BUMPS, type Bump, type BumpAssessment, type BumpReason } from './version.ts';
export { formatDiff, formatChangelog, DIFF_FORMATS, type DiffFormat } from './report.ts';
export { renderBook, escapeHtml, type RenderOptions } from './render.ts';
