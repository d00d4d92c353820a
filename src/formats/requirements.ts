import path from 'node:path';
import type { Dependency, PackageSource } from '../model/dependency.ts';
import type { ParseResult, RequirementsData, RequirementsInclude } from '../model/files.ts';
import type { Finding } from '../model/finding.ts';
import { normalizePypiName } from '../util/names.ts';
import type { ParseContext } from './index.ts';
import { parseFinding } from './parse-finding.ts';
import { pep508Dependency, urlSource } from './pep508-dependency.ts';
import { LineIndex } from './text-position.ts';

/** A logical line: backslash continuations joined, the comment removed, with the offset of each piece. */
interface LogicalLine {
  text: string;
  /** Offset in the file of text[0]. Only exact for the first physical line (enough for spans and edits). */
  start: number;
  line: number;
}

function logicalLines(text: string): LogicalLine[] {
  const out: LogicalLine[] = [];
  const physical = text.split('\n');
  let offset = 0;
  let acc: LogicalLine | undefined;
  physical.forEach((raw, i) => {
    const lineStart = offset;
    offset += raw.length + 1;
    let body = raw.replace(/\r$/, '');
    // A comment starts at "#" at line start or after whitespace (URLs keep their #fragment).
    const hash = /(^|\s)#/.exec(body);
    if (hash) body = body.slice(0, hash.index + hash[1]!.length);
    const cont = /\\\s*$/.test(body);
    if (cont) body = body.replace(/\\\s*$/, '');
    if (acc) acc.text += ` ${body}`;
    else acc = { text: body, start: lineStart, line: i + 1 };
    if (!cont) {
      if (acc.text.trim()) out.push(acc);
      acc = undefined;
    }
  });
  if (acc?.text.trim()) out.push(acc);
  return out;
}

const OPTION_WITH_VALUE = new Set(['-i', '--index-url', '--extra-index-url', '-f', '--find-links', '--trusted-host', '--no-binary', '--only-binary', '--prefer-binary', '-Z', '--use-feature', '--pre', '--require-hashes', '--no-index']);

/** requirements*.txt / *.in (pip's format). See docs/formats-python.md. */
export function parseRequirements(file: string, text: string, ctx: ParseContext): ParseResult<RequirementsData> {
  const findings: Finding[] = [];
  const idx = new LineIndex(file, text);
  const requirements: Dependency[] = [];
  const includes: RequirementsInclude[] = [];
  const options: RequirementsData['options'] = [];
  const dir = path.posix.dirname(file);
  const group = /(^|[/_.-])(dev|test|tests|lint|docs?|ci|typing)([/_.-]|$)/i.test(path.posix.basename(file)) ? 'dev' : 'main';

  for (const l of logicalLines(text)) {
    const lead = l.text.length - l.text.trimStart().length;
    const body = l.text.trim();
    const span = idx.span(l.start + lead, l.start + lead + Math.min(body.length, (text.indexOf('\n', l.start) >>> 0) - l.start - lead));
    const inc = /^(-r|--requirement|-c|--constraint)(?:\s*=\s*|\s+)(\S+)/.exec(body);
    if (inc) {
      const target = inc[2]!;
      const resolved = path.posix.normalize(path.posix.join(dir === '.' ? '' : dir, target));
      const inside = !resolved.startsWith('../') && resolved !== '..' && !path.posix.isAbsolute(target);
      includes.push({ kind: inc[1]!.startsWith('-c') || inc[1] === '--constraint' ? 'constraint' : 'requirement', path: target, resolvedPath: resolved, exists: inside && ctx.exists(resolved), span });
      continue;
    }
    const editable = /^(-e|--editable)(?:\s*=\s*|\s+)(\S+)/.exec(body);
    if (editable) {
      requirements.push(locationRequirement(editable[2]!, true, group, span, dir));
      continue;
    }
    if (body.startsWith('-')) {
      const m = /^(--?[A-Za-z-]+)(?:\s*=\s*|\s+)?(\S.*)?$/.exec(body);
      if (m && (OPTION_WITH_VALUE.has(m[1]!) || m[1]!.startsWith('--'))) options.push({ name: m[1]!, ...(m[2] ? { value: m[2].trim() } : {}), span });
      else findings.push(parseFinding(file, span.line, span.column, `unknown option line: ${body.slice(0, 80)}`));
      continue;
    }
    // Per-requirement options (--hash, --config-settings) follow the requirement, separated by whitespace.
    const optAt = body.search(/\s--?[A-Za-z]/);
    const reqText = optAt >= 0 ? body.slice(0, optAt).trim() : body;
    const hashes = [...body.matchAll(/--hash[=\s]+([A-Za-z0-9]+:[0-9A-Fa-f]+)/g)].map((m) => m[1]!);
    if (/^([a-z+]+:\/\/|git\+|\.{0,2}\/|[A-Za-z]:\\)/.test(reqText)) {
      const d = locationRequirement(reqText, false, group, span, dir);
      if (hashes.length) d.hashes = hashes;
      requirements.push(d);
      continue;
    }
    const d = pep508Dependency(reqText, { group, dev: group === 'dev', optional: false, span, idx, textStart: l.start + lead });
    if (!d) {
      findings.push(parseFinding(file, span.line, span.column, `not a requirement: ${reqText.slice(0, 80)}`));
      continue;
    }
    if (hashes.length) d.hashes = hashes; // as written (pip-compile can repeat one); LockedPackage de-duplicates
    requirements.push(d);
  }

  annotateVia(text, requirements);
  const head = text.slice(0, 600);
  const generatedBy = /pip-compile/.test(head) ? 'pip-compile' : /uv pip compile|autogenerated by uv/.test(head) ? 'uv' : /poetry export|poetry-plugin-export/i.test(head) ? 'poetry export' : undefined;
  return { data: { kind: 'requirements', file, requirements, includes, options, ...(generatedBy ? { generatedBy } : {}) }, findings };
}

/** `-e ../lib[extra]`, `git+https://...#egg=name`, `./pkg.whl`: a requirement named by its location. */
function locationRequirement(loc: string, editable: boolean, group: string, span: Dependency['span'], dir: string): Dependency {
  const egg = /#egg=([A-Za-z0-9._-]+)/.exec(loc)?.[1]?.replace(/[=<>!~].*$/, '');
  const extrasAt = loc.search(/\[[^\]]*\]$/);
  const bare = (extrasAt >= 0 ? loc.slice(0, extrasAt) : loc).replace(/#.*$/, '');
  const extras = extrasAt >= 0 ? loc.slice(extrasAt + 1, -1).split(',').map((e) => e.trim()).filter(Boolean) : [];
  let source: PackageSource;
  if (/^(git\+|[a-z+]+:\/\/)/.test(bare)) source = urlSource(bare);
  else {
    const p = path.posix.normalize(path.posix.join(dir === '.' ? '' : dir, bare));
    source = /\.(whl|tar\.gz|zip)$/.test(bare) ? { type: 'file', path: p } : { type: 'directory', path: p, ...(editable ? { develop: true } : {}) };
  }
  const name = egg ?? (bare.replace(/\/+$/, '').split('/').pop() ?? bare).replace(/\.git$/, '').replace(/@.*$/, '').replace(/-[\d.]+(-.*)?\.(whl|tar\.gz|zip)$/, '');
  return {
    ecosystem: 'PyPI',
    name,
    normalizedName: normalizePypiName(name),
    constraint: '',
    constraintSyntax: 'none',
    group,
    dev: group === 'dev',
    optional: false,
    ...(extras.length ? { extras } : {}),
    source,
    ...(editable ? { editable: true } : {}),
    span,
  };
}

/**
 * pip-compile and uv write who requires each pin as a comment under it: `# via requests`, `# via -r
 * requirements.in`, or `# via` followed by one `#   name` line per requirer (older versions: inline, comma
 * separated). Those are the compiled file's dependency edges; `why` follows them.
 */
function annotateVia(text: string, requirements: Dependency[]): void {
  const byLine = new Map(requirements.map((r) => [r.span.line, r]));
  let current: Dependency | undefined;
  let open = false;
  const add = (list: string): void => {
    if (!current) return;
    const names = list.split(',').map((x) => x.replace(/\s*\(.*\)\s*$/, '').trim()).filter(Boolean);
    if (names.length) current.via = [...(current.via ?? []), ...names];
  };
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.replace(/\r$/, '');
    const req = byLine.get(i + 1);
    if (req) {
      current = req;
      open = false;
      const inline = /\s#\s*via\s+(.+)$/.exec(line);
      if (inline) add(inline[1]!);
      continue;
    }
    const via = /^\s*#\s*via\b\s*(.*)$/.exec(line);
    if (via) {
      open = true;
      add(via[1]!);
      continue;
    }
    const more = open ? /^\s*#\s{2,}(\S.*)$/.exec(line) : null;
    if (more) add(more[1]!);
    else open = false;
  }
}
