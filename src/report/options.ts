import type { RuleInfo } from '../model/rule.ts';
import type { Severity } from '../model/finding.ts';

export const FINDING_FORMATS = ['table', 'json', 'sarif', 'markdown'] as const;
export type FindingFormat = (typeof FINDING_FORMATS)[number];

export interface RenderOptions {
  /** "check", "conflicts", "audit", ... (shown in JSON and headings). */
  command: string;
  failOn: Severity;
  /** Catalogue of the rules that can appear (SARIF `rules`, help texts). */
  rules: RuleInfo[];
  /** Colour escape codes (only when stdout is a TTY and NO_COLOR is unset). */
  color: boolean;
  toolVersion: string;
}

export function useColor(isTTY: boolean, env: NodeJS.ProcessEnv): boolean {
  return isTTY && !('NO_COLOR' in env && env.NO_COLOR !== '') && env.TERM !== 'dumb';
}
