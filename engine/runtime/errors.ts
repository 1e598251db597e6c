// Errors are data: a code, where it happened, and a message that names the fix.

export interface Problem {
  /** The fact or field at fault, as a path (albumin, prior_systemic_therapies[0].agent). */
  field: string;
  code: string;
  message: string;
}

export class EngineError extends Error {
  readonly code: string;
  readonly node?: string;
  readonly pointer?: string;
  readonly problems: Problem[];

  constructor(code: string, message: string, where: { node?: string; pointer?: string; problems?: Problem[] } = {}) {
    super(message);
    this.name = 'EngineError';
    this.code = code;
    this.node = where.node;
    this.pointer = where.pointer;
    this.problems = where.problems ?? [];
  }
}
