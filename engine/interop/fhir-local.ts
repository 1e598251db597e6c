// The guideline's own code systems, for the facts no standard terminology codes.
import type { Guideline } from '../runtime/index.ts';

/** The guideline's own code system for its inputs: code = the input id. */
export const localSystem = (g: Guideline) => `urn:guideline:${g.manifest.id}:input`;
/** The code system of an enum input's values: code = the value. */
export const localValueSystem = (g: Guideline, input: string) => `urn:guideline:${g.manifest.id}:input:${input}`;
