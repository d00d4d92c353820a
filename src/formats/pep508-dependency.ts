import type { Dependency, PackageSource } from '../model/dependency.ts';
import type { SourceSpan } from '../model/source.ts';
import { normalizePypiName } from '../util/names.ts';
import { parsePep508 } from './pep508.ts';
import type { LineIndex } from './text-position.ts';

/** `name @ git+https://...@rev`, `name @ file:///...`, `name @ https://.../x.whl`. */
export function urlSource(url: string): PackageSource {
  if (url.startsWith('git+')) {
    const u = url.slice(4);
    const frag = u.indexOf('#');
    const base = frag >= 0 ? u.slice(0, frag) : u;
    const at = base.lastIndexOf('@');
    const slash = base.lastIndexOf('/');
    return at > slash ? { type: 'git', url: base.slice(0, at), reference: base.slice(at + 1) } : { type: 'git', url: base };
  }
  if (url.startsWith('file:')) return { type: 'file', path: url.replace(/^file:\/\//, '') };
  return { type: 'url', url };
}

/**
 * A PEP 508 requirement (pyproject list entry or requirements line) as a Dependency. When the text's offset in
 * the file is known, the specifier gets an exact constraintSpan for edits. Undefined when it is not PEP 508.
 */
export function pep508Dependency(text: string, at: { group: string; dev: boolean; optional: boolean; span: SourceSpan; idx?: LineIndex; textStart?: number }): Dependency | undefined {
  const r = parsePep508(text);
  if (!r) return undefined;
  const source = r.url ? urlSource(r.url) : undefined;
  const specStart = at.textStart !== undefined ? at.textStart + r.specifierStart : undefined;
  return {
    ecosystem: 'PyPI',
    name: r.name,
    normalizedName: normalizePypiName(r.name),
    constraint: r.specifier,
    constraintSyntax: r.url ? 'none' : 'pep440',
    group: at.group,
    dev: at.dev,
    optional: at.optional,
    ...(r.extras.length ? { extras: r.extras } : {}),
    ...(r.markers ? { markers: r.markers } : {}),
    ...(source ? { source } : {}),
    span: at.span,
    ...(at.idx && specStart !== undefined && r.specifier && !r.url ? { constraintSpan: at.idx.span(specStart, specStart + r.specifier.length) } : {}),
  };
}
