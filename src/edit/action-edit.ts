import type { ActionRef } from '../model/files.ts';
import type { TextEdit } from '../model/update.ts';
import { EditError } from './edit-error.ts';

/**
 * The edit that pins a workflow `uses: owner/repo@ref` to a commit SHA and sets the trailing version comment:
 * `uses: actions/checkout@<sha> # v4.2.0`. The comment is replaced when there is one and added when there is
 * none; quoting and everything before the ref are kept. One edit from the ref to the end of the line's content,
 * so the stale-text check covers the old comment too.
 */
export function editAction(ref: ActionRef, change: { sha: string; comment?: string }, text: string): TextEdit[] {
  const file = ref.span.file;
  const where = `${file}:${ref.span.line}`;
  if (ref.kind !== 'action' && ref.kind !== 'reusable-workflow') throw new EditError(`${where}: ${ref.raw} is a ${ref.kind} reference, not a remote action`);
  const rs = ref.refSpan;
  if (!rs || rs.start === undefined || rs.end === undefined || ref.ref === undefined || ref.span.end === undefined) throw new EditError(`${where}: ${ref.raw} has no @ref to pin`);
  if (!/^[0-9a-f]{40}$/.test(change.sha)) throw new EditError(`${where}: ${JSON.stringify(change.sha)} is not a full commit SHA`);
  if (change.comment !== undefined && (/[\n\r]/.test(change.comment) || change.comment.trim() === '')) throw new EditError(`${where}: refusing version comment ${JSON.stringify(change.comment)}`);
  if (text.slice(rs.start, rs.end) !== ref.ref) throw new EditError(`${where}: expected ref ${JSON.stringify(ref.ref)}, found ${JSON.stringify(text.slice(rs.start, rs.end))} (file changed since it was read?)`);
  let lineEnd = text.indexOf('\n', ref.span.end);
  if (lineEnd < 0) lineEnd = text.length;
  const tail = text.slice(ref.span.end, lineEnd).replace(/\s+$/, '');
  const end = ref.span.end + tail.length;
  const closing = text.slice(rs.end, ref.span.end); // the closing quote, if any
  let newTail = tail;
  if (change.comment !== undefined) {
    const hash = /(^|\s)#/.exec(tail);
    if (hash) {
      const bodyAt = hash.index + hash[0].length;
      const lead = /^\s*/.exec(tail.slice(bodyAt))![0];
      newTail = tail.slice(0, bodyAt) + lead + change.comment;
    } else newTail = `${tail} # ${change.comment}`;
  }
  const replacement = change.sha + closing + newTail;
  const expected = text.slice(rs.start, end);
  return replacement === expected ? [] : [{ file, start: rs.start, end, expected, replacement }];
}
