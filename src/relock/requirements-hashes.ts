import { EditError } from '../edit/edit-error.ts';
import type { RequirementsData } from '../model/files.ts';
import type { ReleaseFile, TextEdit } from '../model/update.ts';
import { normalizePypiName } from '../util/names.ts';

/** One package of a hashed requirements file moving to `version`, with the registry's files for that release. */
export interface HashedUpdate {
  name: string;
  version: string;
  files: ReleaseFile[];
}

const HASH = /--hash(=|[ \t]+)([A-Za-z0-9]+:[0-9A-Fa-f]+)/g;

/**
 * "Relocks" a pip-compile --generate-hashes file without pip-compile: for each updated package, `==old` becomes
 * `==new` and the requirement's `--hash` options are replaced by the sha256 of every file of the new release
 * (sorted, de-duplicated, as pip-compile writes them), in the layout the file already uses: the separator
 * between hashes (` \` + newline + indentation, or a space) and `--hash=` vs `--hash ` are copied from the
 * requirement itself. Everything else (markers, `# via` comments, other requirements) is left alone.
 */
export function requirementsHashEdits(text: string, data: RequirementsData, updates: HashedUpdate[]): TextEdit[] {
  const edits: TextEdit[] = [];
  for (const u of updates) {
    const target = normalizePypiName(u.name);
    const deps = data.requirements.filter((d) => d.normalizedName === target && d.constraintSyntax === 'pep440');
    if (deps.length === 0) throw new EditError(`${data.file}: no requirement ${u.name} to update`);
    const hashes = [...new Set(u.files.flatMap((f) => f.hashes.filter((h) => h.startsWith('sha256:'))))].sort();
    if (hashes.length === 0) throw new EditError(`${data.file}: the registry gave no sha256 for ${u.name}==${u.version}; a hashed requirement cannot be written without them`);
    for (const d of deps) {
      const where = `${data.file}:${d.span.line}`;
      const cs = d.constraintSpan;
      const pin = /^(===?\s*)(\S+)$/.exec(d.constraint.trim());
      if (!cs || cs.start === undefined || cs.end === undefined || !pin) throw new EditError(`${where}: ${d.name} is not pinned with == (${JSON.stringify(d.constraint)}); hashed requirements pin exact versions`);
      if (text.slice(cs.start, cs.end) !== d.constraint) throw new EditError(`${where}: expected ${JSON.stringify(d.constraint)}, found ${JSON.stringify(text.slice(cs.start, cs.end))}`);
      edits.push({ file: data.file, start: cs.start, end: cs.end, expected: d.constraint, replacement: d.constraint.replace(pin[2]!, u.version) });

      // The logical line: physical lines joined by trailing backslashes.
      let end = cs.end;
      for (;;) {
        const nl = text.indexOf('\n', end);
        const lineEnd = nl < 0 ? text.length : nl;
        if (!/\\\s*$/.test(text.slice(end, lineEnd)) || nl < 0) {
          end = lineEnd;
          break;
        }
        end = nl + 1;
      }
      const from = cs.end;
      const region = text.slice(from, end);
      const found = [...region.matchAll(HASH)];
      if (found.length === 0) throw new EditError(`${where}: ${d.name} has no --hash options; use editDependency for unhashed requirements`);
      const first = found[0]!;
      const last = found[found.length - 1]!;
      const firstAt = first.index;
      const lastEnd = last.index + last[0].length;
      // Only hashes (and continuations) between the first and the last: another option in between would be lost.
      let between = region.slice(firstAt, lastEnd);
      for (const m of found) between = between.replace(m[0], '');
      if (!/^[\s\\]*$/.test(between)) throw new EditError(`${where}: options other than --hash between the hashes of ${d.name}; refusing to rewrite them`);
      const sep = found.length > 1 ? region.slice(firstAt + first[0].length, found[1]!.index) : (/[ \t]*(\\\r?\n[ \t]*)?$/.exec(region.slice(0, firstAt))?.[0] || ' ');
      const eq = first[1]!;
      const replacement = hashes.map((h) => `--hash${eq}${h}`).join(sep);
      const expected = region.slice(firstAt, lastEnd);
      if (replacement !== expected) edits.push({ file: data.file, start: from + firstAt, end: from + lastEnd, expected, replacement });
    }
  }
  return edits;
}
