/** Why an edit was refused or could not be applied; the message names file:line and the reason. */
export class EditError extends Error {
  override name = 'EditError';
}

/** 1-based line of an offset, for messages (edits are rare: a scan per message is fine). */
export function lineOf(text: string, offset: number): number {
  let line = 1;
  for (let i = text.indexOf('\n'); i >= 0 && i < offset; i = text.indexOf('\n', i + 1)) line++;
  return line;
}
