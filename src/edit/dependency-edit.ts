import type { Dependency } from '../model/dependency.ts';
import type { TextEdit } from '../model/update.ts';
import { EditError } from './edit-error.ts';

/**
 * The edit that gives a manifest dependency (pyproject, requirements, package.json) a new constraint.
 * `text` is the manifest as the record was parsed from; the edit replaces only the constraint text
 * (`constraintSpan`), so quotes, tables, extras, markers and comments stay as written. A declaration without a
 * specifier (`requests`, `"httpx[http2]; python_version < '3.12'"`) gets one after its name and extras.
 */
export function editDependency(dep: Dependency, newConstraint: string, text: string): TextEdit[] {
  const file = dep.span.file;
  const where = `${file}:${dep.span.line}`;
  if (dep.constraintSyntax === 'none') throw new EditError(`${where}: ${dep.name} is declared by location (${dep.source?.type ?? 'no version'}), there is no version constraint to edit`);
  // A constraint lives inside a TOML/JSON string or a requirements line: quotes, backslashes and newlines
  // would change the file's structure, not the version.
  if (/["'\\\n\r]/.test(newConstraint) || newConstraint.trim() === '') throw new EditError(`${where}: refusing constraint ${JSON.stringify(newConstraint)} for ${dep.name}`);
  const s = dep.constraintSpan;
  if (s?.start !== undefined && s.end !== undefined) {
    const current = text.slice(s.start, s.end);
    if (current !== dep.constraint) throw new EditError(`${file}:${s.line}: expected constraint ${JSON.stringify(dep.constraint)} for ${dep.name}, found ${JSON.stringify(current)} (file changed since it was read?)`);
    if (current === newConstraint) return [];
    return [{ file, start: s.start, end: s.end, expected: current, replacement: newConstraint }];
  }
  if (dep.constraint !== '') throw new EditError(`${where}: the constraint of ${dep.name} (${JSON.stringify(dep.constraint)}) has no recorded position; edit it by hand`);
  if (dep.ecosystem !== 'PyPI' || dep.constraintSyntax !== 'pep440' || dep.span.start === undefined) {
    throw new EditError(`${where}: ${dep.name} has no version key to edit (e.g. a Poetry table without \`version\`); add one by hand`);
  }
  if (!/^(===|==|~=|!=|<=|>=|<|>)/.test(newConstraint.trim())) throw new EditError(`${where}: a PEP 508 specifier starts with an operator, got ${JSON.stringify(newConstraint)}`);
  // The name and its extras, exactly as written, are the anchor (a strong `expected`, not an empty insertion).
  const m = /^[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?(?:\s*\[[^\]\n]*\])?/.exec(text.slice(dep.span.start, dep.span.start + 300));
  if (!m || m[0].replace(/\s*\[.*$/s, '') !== dep.name) throw new EditError(`${where}: expected requirement ${dep.name} here, found ${JSON.stringify(text.slice(dep.span.start, dep.span.start + 40))}`);
  return [{ file, start: dep.span.start, end: dep.span.start + m[0].length, expected: m[0], replacement: m[0] + newConstraint }];
}
