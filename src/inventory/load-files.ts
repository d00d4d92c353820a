import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { ComposeData, FormatKind, ParsedData } from '../model/files.ts';
import type { Finding } from '../model/finding.ts';
import { type ParseContext, parseFile } from '../formats/index.ts';
import { errorMessage, parseFinding } from '../formats/parse-finding.ts';
import type { DiscoveredFile } from '../discover/walk.ts';

/** Files larger than this are reported, not read: no real manifest or lock comes near it. */
export const MAX_FILE_BYTES = 64 * 1024 * 1024;
const READ_CONCURRENCY = 32;

export interface LoadedFiles {
  parsed: Map<string, ParsedData>;
  kinds: Map<string, FormatKind>;
  findings: Finding[];
}

/**
 * Reads and parses every discovered file once, with bounded concurrency. Compose files go first so the
 * build args they pass can be substituted into the Dockerfiles they build (ARG defaults otherwise).
 */
export async function loadFiles(root: string, files: DiscoveredFile[], allFiles: Set<string>): Promise<LoadedFiles> {
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

  const texts = new Map<string, string>();
  await pool(files, READ_CONCURRENCY, async (f) => {
    kinds.set(f.path, f.kind);
    try {
      const buf = await readFile(path.join(root, f.path));
      if (buf.length > MAX_FILE_BYTES) {
        findings.push(parseFinding(f.path, 1, 1, `file is ${buf.length} bytes, over the ${MAX_FILE_BYTES}-byte limit; not read`));
        return;
      }
      texts.set(f.path, buf.toString('utf8'));
    } catch (e) {
      findings.push(parseFinding(f.path, 1, 1, `cannot read file: ${errorMessage(e)}`));
    }
  });

  const parseOne = (f: DiscoveredFile, buildArgs?: Record<string, string>): void => {
    const text = texts.get(f.path);
    if (text === undefined) return;
    const r = parseFile(f.kind, f.path, text, buildArgs ? { ...ctx, buildArgs } : ctx);
    if (r.data) parsed.set(f.path, r.data);
    findings.push(...r.findings);
  };

  const composeFiles = files.filter((f) => f.kind === 'compose');
  for (const f of composeFiles) parseOne(f);
  const argsByDockerfile = composeBuildArgs([...parsed.values()].filter((d): d is ComposeData => d.kind === 'compose'));
  for (const f of files) if (f.kind !== 'compose') parseOne(f, argsByDockerfile.get(f.path));
  return { parsed, kinds, findings };
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

async function pool<T>(items: T[], n: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const workers = Array.from({ length: Math.min(n, items.length) }, async () => {
    while (next < items.length) await fn(items[next++]!);
  });
  await Promise.all(workers);
}
