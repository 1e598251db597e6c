// `guideline diff --analysis`: the analysis of both versions (engine/analysis, Z3) compared and
// added to the diff in its format. Here in the node wing because the review wing may not import
// the analysis wing (test/boundaries.test.ts).
import { analyze, compareAnalyses, formatAnalysisDiff, type AnalysisDiff } from '../analysis/index.ts';
import { escapeHtml, formatDiff, type DiffFormat, type GuidelineDiff } from '../review/index.ts';
import { canonicalJson, type Guideline } from '../runtime/index.ts';

export async function analysisDiff(base: Guideline, head: Guideline): Promise<AnalysisDiff> {
  const a = await analyze(base);
  const b = await analyze(head);
  return compareAnalyses(a, b);
}

/** The diff in its format with the analysis change: a section (text, markdown, html) or an `analysis` field (json). */
export function withAnalysis(d: GuidelineDiff, format: DiffFormat, a: AnalysisDiff): string {
  if (format === 'json') return canonicalJson({ ...d, analysis: a } as never, 2) + '\n';
  const base = formatDiff(d, format);
  if (format === 'html') {
    const section = `<h2>Analysis</h2><pre>${escapeHtml(formatAnalysisDiff(a, '').trimStart())}</pre>`;
    return base.includes('</body>') ? base.replace('</body>', `${section}</body>`) : base + section;
  }
  return `${base}\n${formatAnalysisDiff(a, format === 'markdown' ? '## Analysis' : 'Analysis')}`;
}
