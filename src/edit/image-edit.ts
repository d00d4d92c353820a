import type { ImageRef } from '../model/files.ts';
import type { TextEdit } from '../model/update.ts';
import { splitRawRef } from '../formats/image-ref.ts';
import { EditError } from './edit-error.ts';

/** What changes in an image reference: a new tag, a new digest, or `digest: null` to drop a digest. */
export interface ImageChange {
  tag?: string;
  digest?: string | null;
}

const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
const DIGEST = /^sha256:[0-9a-f]{64}$/;

/**
 * The edit that moves an image reference (Dockerfile FROM, compose `image:`, workflow `docker://`) to a new
 * tag and/or digest, written `repository:tag@sha256:...`. The repository text, `${VAR}`s in it and the YAML
 * quoting are kept; a tag or digest that comes from a variable is refused (the value lives in an ARG default or
 * a .env file, which is where it has to change).
 */
export function editImage(ref: ImageRef, change: ImageChange, text: string): TextEdit[] {
  const file = ref.span.file;
  const where = `${file}:${ref.span.line}`;
  if (ref.stageRef || ref.scratch) throw new EditError(`${where}: ${ref.raw} is a build stage or scratch, not an image to update`);
  if (ref.span.start === undefined || ref.span.end === undefined) throw new EditError(`${where}: no source position for ${ref.raw}`);
  const region = text.slice(ref.span.start, ref.span.end);
  const at = region.lastIndexOf(ref.raw);
  // The reference ends the span (Dockerfile, plain YAML) or sits just inside a closing quote.
  if (at < 0 || !(at + ref.raw.length === region.length || (at + ref.raw.length === region.length - 1 && /["']$/.test(region)))) {
    throw new EditError(`${where}: expected image ${JSON.stringify(ref.raw)} here, found ${JSON.stringify(region.slice(-ref.raw.length - 2))} (file changed since it was read, or the value is an escaped/multi-line YAML scalar)`);
  }
  const { repoEnd, tag, digest } = splitRawRef(ref.raw);
  const refPart = ref.raw.slice(repoEnd);
  if (refPart.includes('$')) throw new EditError(`${where}: the tag or digest of ${ref.raw} comes from a variable; change the variable's value (ARG default, build arg or .env) instead`);
  if (refPart === '' && /(\$\{[^}]*\}|\$[A-Za-z_][A-Za-z0-9_]*)$/.test(ref.raw)) throw new EditError(`${where}: ${ref.raw} ends in a variable that may carry the tag; change the variable's value instead`);
  if (change.tag === undefined && change.digest === undefined) throw new EditError(`${where}: nothing to change in ${ref.raw}`);
  if (change.tag !== undefined && !TAG.test(change.tag)) throw new EditError(`${where}: ${JSON.stringify(change.tag)} is not a valid tag`);
  if (typeof change.digest === 'string' && !DIGEST.test(change.digest)) throw new EditError(`${where}: ${JSON.stringify(change.digest)} is not a sha256 digest`);
  // A digest names the content of one tag: a new tag with the old digest would still pull the old image.
  if (change.tag !== undefined && change.tag !== tag && digest !== undefined && change.digest === undefined) {
    throw new EditError(`${where}: ${ref.raw} is pinned by digest; a new tag needs its digest too (or digest: null to drop it)`);
  }
  const newTag = change.tag ?? tag;
  const newDigest = change.digest === null ? undefined : (change.digest ?? digest);
  const newRef = `${newTag !== undefined && newTag !== '' ? `:${newTag}` : ''}${newDigest ? `@${newDigest}` : ''}`;
  if (newRef === refPart) return [];
  const start = ref.span.start + at;
  return [{ file, start, end: start + ref.raw.length, expected: ref.raw, replacement: ref.raw.slice(0, repoEnd) + newRef }];
}
