import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import type { ComposeData, FormatKind, ParsedData } from '../model/files.ts';
import type { Finding } from '../model/finding.ts';
import { type ParseContext, parseFile } from '../formats/index.ts';
import { errorMessage, parseFinding } from '../formats/parse-finding.ts';
import type { DiscoveredFile } from '../discover/walk.ts';

/** Files larger than this are reported, not read: no real manifest or lock comes near it. */
export const MAX_FILE_BYTES = 64 * 1024 * 1024;

export interface LoadedFiles {
  parsed: Map<string, ParsedData>;
  kinds: Map<string, FormatKind>;
  findings: Finding[];
}

/**
 * Reads and parses every discovered file once.
 */
export function loadFiles(root: string, files: DiscoveredFile[], allFiles: Set<string>): LoadedFiles {
  const parsed = new Map<string, ParsedData>();
  const kinds = new Map<string, FormatKind>();
  const findings: Finding[] = [];
  const ctx: ParseContext = {
    exists: (rel) => allFiles.has(rel),
    readText: (rel) => {
      if (!allFiles.has(rel)) return undefined;
      try {
        return readFileSync(path.join(root, rel), 'utf8');
      } catch {
        return undefined;
      }
    },
  };

  // Read and parse one file at a time: no text outlives its parse, so memory stays near the size of the
  // records, not of the repository. Synchronous reads beat a promise pool here (small files, page cache).
  const readText = (f: DiscoveredFile): string | undefined => {
    try {
      const abs = path.join(root, f.path);
      if (statSync(abs).size > MAX_FILE_BYTES) {
        findings.push(parseFinding(f.path, 1, 1, `file is over the ${MAX_FILE_BYTES}-byte limit; not read`));
        return undefined;
      }
      return readFileSync(abs, 'utf8');
    } catch (e) {
      findings.push(parseFinding(f.path, 1, 1, `cannot read file: ${errorMessage(e)}`));
      return undefined;
    }
  };
  const parseOne = (f: DiscoveredFile, buildArgs?: Record<string, string>): void => {
    kinds.set(f.path, f.kind);
    const text = readText(f);
    if (text === undefined) return;
    const r = parseFile(f.kind, f.path, text, buildArgs ? { ...ctx, buildArgs } : ctx);
    if (r.data) parsed.set(f.path, r.data);
    for (const x of r.findings) findings.push(x);
  };

  // Compose first: the build args it passes are substituted into the Dockerfiles it builds.
  for (const f of files) if (f.kind === 'compose') parseOne(f);
  const argsByDockerfile = composeBuildArgs([...parsed.values()].filter((d): d is ComposeData => d.kind === 'compose'));
  for (const f of files) if (f.kind !== 'compose') parseOne(f, argsByDockerfile.get(f.path));
  // Sorted insertion order keeps every later iteration deterministic.
  return { parsed: new Map([...parsed].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))), kinds: new Map([...kinds].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))), findings };
}

/**
 * Build args each Dockerfile receives from compose. When several compose services build the same Dockerfile with
 * different args, the first (in sorted file/service order) wins: the images of the others are still reported
 * through their compose entries.
 */
function composeBuildArgs(composes: ComposeData[]): Map<string, Record<string, string>> {
  const out = new Map<string, Record<string, string>>();
  for (const c of composes) {
    for (const s of c.services) {
      if (!s.build || Object.keys(s.build.args).length === 0) continue;
      const df = dockerfilePath(s.build.resolvedContext, s.build.dockerfile);
      if (!out.has(df)) out.set(df, s.build.args);
    }
  }
  return out;
}

/** Repository-relative path of the Dockerfile a compose build uses. */
export function dockerfilePath(context: string, dockerfile?: string): string {
  const rel = path.posix.normalize(path.posix.join(context === '.' ? '' : context, dockerfile ?? 'Dockerfile'));
  return rel.startsWith('./') ? rel.slice(2) : rel;
}
