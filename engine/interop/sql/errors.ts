/** An expression the SQL generator cannot translate exactly: names the node and where in it. */
export class SqlTranslationError extends Error {
  constructor(readonly node: string, readonly pointer: string, message: string) {
    super(`${node}${pointer ? ` at ${pointer}` : ''}: ${message}`);
    this.name = 'SqlTranslationError';
  }
}
