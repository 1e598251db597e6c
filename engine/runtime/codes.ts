// Code systems the data dictionary may use, and the structural checks each code must pass: LOINC's
// mod-10 check digit, SNOMED CT's identifier shape, partition and Verhoeff check digit, the ATC level shapes,
// RxNorm's numeric RXCUI. A code that passes is well-formed, not necessarily right: the dictionary
// cites the terminology and marks uncertain codes "needs-terminology-review".

export const CODE_SYSTEMS = {
  'http://loinc.org': 'LOINC',
  'http://snomed.info/sct': 'SNOMED CT',
  'http://www.nlm.nih.gov/research/umls/rxnorm': 'RxNorm',
  'http://www.whocc.no/atc': 'ATC',
} as const;
export type CodeSystem = keyof typeof CODE_SYSTEMS;
export const UCUM_SYSTEM = 'http://unitsofmeasure.org';

/** LOINC: digits, a hyphen and a mod-10 (Luhn) check digit. */
function loincOk(code: string): boolean {
  const m = /^(\d{1,7})-(\d)$/.exec(code);
  if (!m) return false;
  return luhnCheckDigit(m[1]) === Number(m[2]);
}
function luhnCheckDigit(digits: string): number {
  let sum = 0;
  const ds = [...digits].reverse().map(Number);
  ds.forEach((d, idx) => {
    if (idx % 2 === 0) { const x = d * 2; sum += x > 9 ? x - 9 : x; } else sum += d;
  });
  return (10 - (sum % 10)) % 10;
}

/** SNOMED CT identifier: 6-18 digits, no leading zero, partition 00/01/02 or 10/11/12, and the
 * Verhoeff check digit (SNOMED CT Technical Implementation Guide, SCTID check digit). */
function sctidOk(code: string): boolean {
  return /^[1-9]\d{5,17}$/.test(code) && /^[01][012]$/.test(code.slice(-3, -1)) && verhoeffOk(code);
}
const VERHOEFF_D = ['0123456789', '1234067895', '2340178956', '3401289567', '4012395678', '5987604321', '6598710432', '7659821043', '8765932104', '9876543210'].map((r) => [...r].map(Number));
const VERHOEFF_P = ['0123456789', '1576283094', '5803796142', '8916043527', '9453126870', '4286573901', '2793806415', '7046913258'].map((r) => [...r].map(Number));
/** Verhoeff's dihedral check: the whole number, check digit included, reduces to 0. */
function verhoeffOk(digits: string): boolean {
  let c = 0;
  [...digits].reverse().forEach((ch, i) => { c = VERHOEFF_D[c][VERHOEFF_P[i % 8][Number(ch)]]; });
  return c === 0;
}

/** Why a coding is not well-formed, or undefined. */
export function codingProblem(c: { system: string; code: string }): string | undefined {
  switch (c.system) {
    case 'http://loinc.org': return loincOk(c.code) ? undefined : `"${c.code}" is not a LOINC code (digits, "-", mod-10 check digit)`;
    case 'http://snomed.info/sct': return sctidOk(c.code) ? undefined : `"${c.code}" is not a SNOMED CT identifier (6-18 digits, partition, Verhoeff check digit)`;
    case 'http://www.nlm.nih.gov/research/umls/rxnorm': return /^[1-9]\d{0,9}$/.test(c.code) ? undefined : `"${c.code}" is not an RxNorm RXCUI (digits)`;
    case 'http://www.whocc.no/atc': return /^[A-Z](\d{2}([A-Z]([A-Z](\d{2})?)?)?)?$/.test(c.code) ? undefined : `"${c.code}" is not an ATC code (e.g. L01EX07)`;
    default: return `unknown code system "${c.system}" (known: ${Object.keys(CODE_SYSTEMS).join(', ')})`;
  }
}
