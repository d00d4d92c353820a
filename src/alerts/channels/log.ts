import { appendFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { canonical } from '../../governance/audit-log.ts';
import { redactSecrets } from '../../util/redact.ts';
import type { AlertMessage } from '../message.ts';
import type { Notice, Notifier } from '../notifier.ts';
import type { Channel, SendResult } from './channel.ts';

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
    // Redacted field by field before serialising: in JSON text a newline is `\n`, which a credential pattern
    // would swallow together with the next word.
    this.write(`${canonical(redactDeep({ ...notice, channel: 'log' }))}\n`);
  }
}

/** The log channel as an alerts channel: one JSON line per message (the group with its items). */
export function logChannel(name: string, opts: { file?: string; stderr?: (s: string) => void }): Channel {
  const log = new LogChannel(opts);
  return {
    name,
    kind: 'log',
    async send(m: AlertMessage): Promise<SendResult> {
      try {
        log.write(`${canonical(redactDeep({ ...m, channel: name }))}\n`);
        return { ok: true };
      } catch (e) {
        return { ok: false, error: `log ${opts.file ?? 'stderr'}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}` };
      }
    },
  };
}

function redactDeep(v: unknown): unknown {
  if (typeof v === 'string') return redactSecrets(v);
  if (Array.isArray(v)) return v.map(redactDeep);
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, redactDeep(x)]));
  return v;
}
