// The audit's HTML report: self-contained (inline SVG charts and CSS; no script, no network).
import type { Guideline } from '../runtime/index.ts';
import type { AuditResult } from './audit-command.ts';

const COLORS: Record<string, string> = { applies: '#2e7d32', 'does-not-apply': '#9e9e9e', undecided: '#f9a825', 'not-in-population': '#e0e0e0' };
const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

function bar(counts: { [k: string]: unknown }, total: number, width = 360): string {
  let x = 0;
  const rects = Object.keys(COLORS).map((k) => {
    const w = total ? ((counts[k] as number) / total) * width : 0;
    const r = `<rect x="${x.toFixed(1)}" y="0" width="${w.toFixed(1)}" height="14" fill="${COLORS[k]}"><title>${esc(k)}: ${String(counts[k])}</title></rect>`;
    x += w;
    return r;
  });
  return `<svg width="${width}" height="14" role="img" aria-label="${Object.keys(COLORS).map((k) => `${k} ${String(counts[k])}`).join(', ')}">${rects.join('')}</svg>`;
}

export function renderAuditHtml(g: Guideline, r: AuditResult): string {
  const rows = Object.entries(r.rules).map(([id, c]) => {
    const clauses = Object.entries(c.clauses).map(([cid, cc]) => `<tr class="clause"><td>${esc(cid)}</td><td>${bar(cc, r.patients)}</td><td>${cc.applies}</td><td>${cc['does-not-apply']}</td><td>${cc.undecided}</td><td>${cc['not-in-population']}</td><td></td></tr>`).join('');
    return `<tr><th scope="row">${esc(id)}</th><td>${bar(c, r.patients)}</td><td>${c.applies}</td><td>${c['does-not-apply']}</td><td>${c.undecided}</td><td>${c['not-in-population']}</td><td>${c.missing.map((m) => `${esc(m.fact)} (${m.patients})`).join(', ')}</td></tr>${clauses}`;
  }).join('\n');
  // the facts most often missing where a rule stays undecided, over all rules
  const missing = new Map<string, number>();
  for (const c of Object.values(r.rules)) for (const m of c.missing) missing.set(m.fact, (missing.get(m.fact) ?? 0) + m.patients);
  const top = [...missing].sort((a, b) => b[1] - a[1]).slice(0, 15);
  const max = top[0]?.[1] ?? 1;
  const missingSvg = `<svg width="560" height="${top.length * 18 + 4}" role="img" aria-label="most often missing facts">${top.map(([f, n], i) => `<text x="0" y="${i * 18 + 13}" font-size="12">${esc(f)}</text><rect x="260" y="${i * 18 + 2}" width="${((n / max) * 280).toFixed(1)}" height="13" fill="#f9a825"><title>${n}</title></rect><text x="${(265 + (n / max) * 280).toFixed(1)}" y="${i * 18 + 13}" font-size="11">${n}</text>`).join('')}</svg>`;
  const k = r.concordance;
  const conc = k ? `<h2>Concordance</h2><p>${k.patients} patients with a recorded intervention.</p>${bar({ applies: k.recommended, 'does-not-apply': k.none, undecided: k.other, 'not-in-population': 0 }, k.patients, 560)}<ul><li>given a recommended option: ${k.recommended}</li><li>given none: ${k.none}</li><li>given a not-recommended one: ${k.notRecommended}</li><li>other: ${k.other}</li></ul>` : '';
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Audit: ${esc(g.manifest.title)}</title>
<style>body{font:14px system-ui,sans-serif;margin:2em}table{border-collapse:collapse}td,th{padding:2px 8px;text-align:left;border-bottom:1px solid #eee}tr.clause td{color:#555;font-size:12px}tr.clause td:first-child{padding-left:2em}.legend span{display:inline-block;width:12px;height:12px;margin:0 4px 0 12px;vertical-align:middle}</style></head><body>
<h1>Audit: ${esc(g.manifest.id)} v${esc(g.manifest.version)}</h1>
<p>${r.patients} patients, ${esc(r.database)}, ${r.seconds} s.</p>
<p class="legend">${Object.entries(COLORS).map(([k2, c]) => `<span style="background:${c}"></span>${esc(k2)}`).join('')}</p>
${conc}
<h2>Facts most often missing where a rule stays undecided</h2>${missingSvg}
<h2>Rules and clauses</h2>
<table><thead><tr><th>rule / clause</th><th>share</th><th>applies</th><th>does not apply</th><th>undecided</th><th>not in population</th><th>most often missing when undecided</th></tr></thead><tbody>
${rows}
</tbody></table></body></html>
`;
}
