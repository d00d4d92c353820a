import type { Finding } from '../model/finding.ts';

/** DW000: a file (or part of one) that could not be read. The run goes on without it. */
export function parseFinding(file: string, line: number, column: number, message: string, hint?: string): Finding {
  return {
    ruleId: 'DW000',
    severity: 'high',
    message: `cannot parse ${file}: ${message}`,
    hint: hint ?? 'Fix the syntax error; depwarden skipped what it could not read in this file.',
    location: { file, line: Math.max(1, line), column: Math.max(1, column) },
  };
}

/** Turns any thrown value into a message without leaking stack traces into reports. */
export function errorMessage(e: unknown): string {
  if (e instanceof Error) return e.message.split('\n')[0] ?? String(e);
  return String(e);
}
