// The register of interpretations: every place where the encoding decided something the text
// leaves open, with its reason. Reviewers sign this list off.
import type { Guideline, Interpretation } from '../runtime/types.ts';

export interface RegisterEntry extends Interpretation {
  node: string;
  kind: string;
  file?: string;
}

export function interpretationRegister(g: Guideline): RegisterEntry[] {
  const out: RegisterEntry[] = [];
  for (const i of g.inputs) {
    for (const it of i.interpretations ?? []) out.push({ node: i.id, kind: 'input', file: g.origins[`input:${i.id}`]?.file, ...it });
  }
  for (const n of g.nodes) {
    for (const it of n.interpretations ?? []) out.push({ node: n.id, kind: n.kind, file: g.origins[`node:${n.id}`]?.file, ...it });
  }
  return out.sort((a, b) => ((a.file ?? '') < (b.file ?? '') ? -1 : (a.file ?? '') > (b.file ?? '') ? 1 : 0));
}
