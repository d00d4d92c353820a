import type { FormatKind, ParsedData, ParseResult } from '../model/files.ts';
import { parseCompose } from './compose.ts';
import { parseDockerfile } from './dockerfile.ts';
import { parseWorkflow } from './gha-workflow.ts';
import { parsePackageJson } from './package-json.ts';
import { parsePackageLock } from './package-lock.ts';
import { parsePipfile, parsePipfileLock } from './pipfile.ts';
import { parsePnpmLock } from './pnpm-lock.ts';
import { errorMessage, parseFinding } from './parse-finding.ts';
import { parsePoetryLock } from './poetry-lock.ts';
import { parsePyproject } from './pyproject.ts';
import { parseRequirements } from './requirements.ts';
import { parseUvLock } from './uv-lock.ts';
import { parseYarnLock } from './yarn-lock.ts';

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

/**
 * Parses one file of a known kind. Never throws: a parser bug becomes a DW000 finding too,
 * so one hostile file cannot stop the scan of the others.
 */
export function parseFile(kind: FormatKind, file: string, text: string, ctx: ParseContext): ParseResult<ParsedData> {
  try {
    switch (kind) {
      case 'pyproject':
        return parsePyproject(file, text);
      case 'poetry-lock':
        return parsePoetryLock(file, text);
      case 'requirements':
        return parseRequirements(file, text, ctx);
      case 'package-json':
        return parsePackageJson(file, text);
      case 'package-lock':
        return parsePackageLock(file, text);
      case 'uv-lock':
        return parseUvLock(file, text);
      case 'pnpm-lock':
        return parsePnpmLock(file, text);
      case 'yarn-lock':
        return parseYarnLock(file, text);
      case 'pipfile':
        return parsePipfile(file, text);
      case 'pipfile-lock':
        return parsePipfileLock(file, text);
      case 'dockerfile':
        return parseDockerfile(file, text, ctx.buildArgs);
      case 'compose':
        return parseCompose(file, text, ctx);
      case 'gha-workflow':
        return parseWorkflow(file, text);
    }
  } catch (e) {
    return { findings: [parseFinding(file, 1, 1, `parser failed: ${errorMessage(e)}`)] };
  }
}
