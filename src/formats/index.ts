import type { FormatKind, ParsedData, ParseResult } from '../model/files.ts';
import { errorMessage, parseFinding } from './parse-finding.ts';

export { classify } from './registry.ts';

/** What a parser may ask of the repository around the file (never the network). */
export interface ParseContext {
  /** Does a repository-relative path exist? (requirements -r/-c includes) */
  exists(relPath: string): boolean;
  /** Text of a repository-relative file, or undefined when absent (compose `.env`). */
  readText(relPath: string): string | undefined;
  /** Build args for Dockerfile ARG substitution (from compose `build.args`). */
  buildArgs?: Record<string, string>;
}

type Parser = (file: string, text: string, ctx: ParseContext) => ParseResult<ParsedData>;

/**
 * Each format's parser module, loaded only when a repository has a file of that kind: the YAML parser alone is
 * ~70 modules, which a Poetry-only repository never needs (start-up is most of a small repository's run).
 */
const LOADERS: Record<FormatKind, () => Promise<Parser>> = {
  pyproject: async () => (await import('./pyproject.ts')).parsePyproject,
  'poetry-lock': async () => (await import('./poetry-lock.ts')).parsePoetryLock,
  requirements: async () => (await import('./requirements.ts')).parseRequirements,
  'package-json': async () => (await import('./package-json.ts')).parsePackageJson,
  'package-lock': async () => (await import('./package-lock.ts')).parsePackageLock,
  'uv-lock': async () => (await import('./uv-lock.ts')).parseUvLock,
  'pnpm-lock': async () => (await import('./pnpm-lock.ts')).parsePnpmLock,
  'yarn-lock': async () => (await import('./yarn-lock.ts')).parseYarnLock,
  pipfile: async () => (await import('./pipfile.ts')).parsePipfile,
  'pipfile-lock': async () => (await import('./pipfile.ts')).parsePipfileLock,
  dockerfile: async () => {
    const { parseDockerfile } = await import('./dockerfile.ts');
    return (file, text, ctx) => parseDockerfile(file, text, ctx.buildArgs);
  },
  compose: async () => (await import('./compose.ts')).parseCompose,
  'gha-workflow': async () => (await import('./gha-workflow.ts')).parseWorkflow,
};
const parsers = new Map<FormatKind, Parser>();

/** Loads the parsers of these kinds (once per process); `parseFile` needs its kind's parser loaded. */
export async function loadParsers(kinds: Iterable<FormatKind>): Promise<void> {
  const missing = [...new Set(kinds)].filter((k) => !parsers.has(k));
  const loaded = await Promise.all(missing.map((k) => LOADERS[k]()));
  missing.forEach((k, i) => parsers.set(k, loaded[i]!));
}

/**
 * Parses one file of a known kind. Never throws: a parser bug becomes a DW000 finding too,
 * so one hostile file cannot stop the scan of the others.
 */
export function parseFile(kind: FormatKind, file: string, text: string, ctx: ParseContext): ParseResult<ParsedData> {
  const parse = parsers.get(kind);
  // A caller's mistake, not the file's: not turned into a finding.
  if (!parse) throw new Error(`the ${kind} parser is not loaded: call loadParsers first`);
  try {
    return parse(file, text, ctx);
  } catch (e) {
    return { findings: [parseFinding(file, 1, 1, `parser failed: ${errorMessage(e)}`)] };
  }
}
