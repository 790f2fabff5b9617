/** Errors are values with a kind. The message is what a user reads, so it says what to do next. */

/** A bad input, found before any request is sent. */
export class InputError extends Error {
  override readonly name = 'InputError';
  constructor(
    readonly input: string,
    readonly value: string,
    readonly accepted: string,
  ) {
    super(`Input \`${input}\`: got ${quote(value)}; ${accepted}`);
  }
}

/** A value as it appears in an error message: quoted, shortened, without control characters. */
export function quote(value: string): string {
  // eslint-disable-next-line no-control-regex
  const printable = value.replace(/[\u0000-\u001f\u007f]/g, ' ');
  const short = printable.length > 80 ? `${printable.slice(0, 77)}...` : printable;
  return JSON.stringify(short);
}

/** The message of anything thrown: an Error's own, or the value as text. */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
