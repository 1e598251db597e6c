// Validators for every guideline document type. They are ajv's standalone code for
// guideline.schema.json, generated at install and build time into validators.generated.ts
// (engine/node/build/gen-validators.mjs, strict, every error): nothing compiles a schema, and
// nothing runs `new Function`, when the CLI or the checker starts. The runtime never imports this
// module; it validates bundles with the standalone validator of engine/runtime/generated.ts.
import type { ErrorObject } from 'ajv/dist/2020.js';
import guidelineSchema from './guideline.schema.json' with { type: 'json' };
import { validate_case, validate_input, validate_manifest, validate_node } from './validators.generated.ts';

export type DocumentType = 'manifest' | 'input' | 'node' | 'case';

export const SCHEMA_ID = guidelineSchema.$id;
export { guidelineSchema };

type Validator = ((doc: unknown) => boolean) & { errors?: ErrorObject[] | null };
const validators: Record<DocumentType, Validator> = { manifest: validate_manifest, input: validate_input, node: validate_node, case: validate_case };

function validatorFor(type: DocumentType): Validator {
  const v = Object.prototype.hasOwnProperty.call(validators, type) ? validators[type] : undefined;
  if (!v) throw new Error(`no schema for document type ${type}`);
  return v;
}

export interface SchemaError {
  /** JSON pointer of the offending value inside the document. */
  pointer: string;
  message: string;
}

/** Validate one document; returns [] when valid. Errors are de-duplicated and ordered. */
export function validateDocument(type: DocumentType, doc: unknown): SchemaError[] {
  const validate = validatorFor(type);
  if (validate(doc)) return [];
  return simplify(validate.errors ?? []);
}

/** A self-contained schema document for one type (for editors such as Monaco). */
export function schemaDocumentFor(type: DocumentType): Record<string, unknown> {
  const { $id: _id, ...rest } = guidelineSchema;
  return { ...rest, $ref: `#/$defs/${type}` };
}

// ajv reports every failing branch of anyOf/if-then; keep the messages a reader can act on.
function simplify(errors: ErrorObject[]): SchemaError[] {
  const out = new Map<string, SchemaError>();
  for (const e of errors) {
    if (e.keyword === 'anyOf' || e.keyword === 'if' || e.keyword === 'allOf') continue;
    let pointer = e.instancePath || '';
    let message: string;
    switch (e.keyword) {
      case 'additionalProperties':
      case 'unevaluatedProperties': {
        const extra = (e.params as { additionalProperty?: string; unevaluatedProperty?: string });
        const name = extra.additionalProperty ?? extra.unevaluatedProperty ?? '?';
        pointer = `${pointer}/${escapePointer(name)}`;
        message = `unknown property "${name}": remove it or check its spelling`;
        break;
      }
      case 'required':
        message = `missing required property "${(e.params as { missingProperty: string }).missingProperty}"`;
        break;
      case 'enum':
        message = `must be one of ${JSON.stringify((e.params as { allowedValues: unknown[] }).allowedValues)}`;
        break;
      case 'const':
        message = `must be ${JSON.stringify((e.params as { allowedValue: unknown }).allowedValue)}`;
        break;
      default:
        message = e.message ?? e.keyword;
    }
    const key = `${pointer}\u0000${message}`;
    if (!out.has(key)) out.set(key, { pointer, message });
  }
  // A literal that failed the primitive/array/object branches of a logic expression yields
  // several type errors at one pointer; one is enough.
  return [...out.values()].sort((a, b) => (a.pointer < b.pointer ? -1 : a.pointer > b.pointer ? 1 : 0));
}

function escapePointer(s: string): string {
  return s.replace(/~/g, '~0').replace(/\//g, '~1');
}
