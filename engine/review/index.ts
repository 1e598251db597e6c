// The review wing: for reviewers. Diffs, the version rule, reports, the book and the changelog.
// May import authoring and runtime.
export { diffGuidelines, diffEntities, diffCases, gradeDirection, citationText, type GuidelineDiff, type EntityDiff, type FieldChange, type ChangeCategory, type Direction, type CaseDiff, type DiffOptions, type Side, type EntityKind } from './diff.ts';
export { assessBump, bumpBetween, coveredBy, parseVersion, suggestVersion, changeLevel, outcomeReasons, BUMPS, type Bump, type BumpAssessment, type BumpReason } from './version.ts';
export { formatDiff, formatChangelog, DIFF_FORMATS, type DiffFormat } from './report.ts';
export { renderBook, escapeHtml, type RenderOptions } from './render.ts';
export { ruleFlow, valueText, titleWithUnit, clauseLabel, hasFlow, STATUS_TEXT, type FlowGraph, type FlowNode, type FlowEdge, type FlowNodeKind, type RuleFlowOptions } from './flow.ts';
export { chapterFlows, diagnosisFlow, stageFlow, FLOW_CHAPTERS, DERIVED_NOTICE, FIGURE_3, STAGE_PATIENTS } from './flow-chapters.ts';
export { layoutFlow, flowSvg, renderFlow, bookFlows, bookRuleFlows, wrap, type RenderedFlow, type FlowLayout, type NodeBox, type EdgePath, type LayoutOptions } from './flow-svg.ts';
