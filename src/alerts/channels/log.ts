import { appendFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { canonical } from '../../governance/audit-log.ts';
import { redactSecrets } from '../../util/redact.ts';
import type { Notice, Notifier } from '../notifier.ts';

/**
 * The log channel: every notice as one JSON line (keys sorted, credentials redacted) appended to a file, or
 * written to stderr. The channel a notice goes to when no other is configured, so nothing is dropped silently.
 */
export class LogChannel implements Notifier {
  readonly file: string | undefined;
  readonly write: (line: string) => void;
  constructor(opts: { file?: string; stderr?: (s: string) => void } = {}) {
    this.file = opts.file;
    const err = opts.stderr ?? ((s: string) => void process.stderr.write(s));
    this.write = opts.file
      ? (line) => {
          mkdirSync(path.dirname(opts.file!), { recursive: true });
          appendFileSync(opts.file!, line);
        }
      : err;
  }

  async notify(notice: Notice): Promise<void> {
    this.write(`${redactSecrets(canonical({ ...notice, channel: 'log' }))}\n`);
  }
}
