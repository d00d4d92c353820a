import path from 'node:path';
import type { ChannelConfig } from '../../config/sections/alerts.ts';
import type { Channel, ChannelEnv } from './channel.ts';
import { emailChannel } from './email.ts';
import { githubIssueChannel } from './github-issue.ts';
import { logChannel } from './log.ts';
import { slackChannel } from './slack.ts';
import { teamsChannel } from './teams.ts';
import { webhookChannel } from './webhook.ts';

/** A configured channel by kind. `root` resolves relative files (the log file, an SMTP CA) against the repository. */
export function openChannel(name: string, cfg: ChannelConfig, ce: ChannelEnv & { root: string; stderr?: (s: string) => void }): Channel {
  switch (cfg.kind) {
    case 'slack':
      return slackChannel(name, cfg, ce);
    case 'teams':
      return teamsChannel(name, cfg, ce);
    case 'webhook':
      return webhookChannel(name, cfg, ce);
    case 'email':
      return emailChannel(name, { ...cfg, smtp: { ...cfg.smtp, ...(cfg.smtp.caFile ? { caFile: path.resolve(ce.root, cfg.smtp.caFile) } : {}) } }, ce);
    case 'github-issue':
      return githubIssueChannel(name, cfg, ce);
    case 'log':
      return logChannel(name, { ...(cfg.file ? { file: path.resolve(ce.root, cfg.file) } : {}), ...(ce.stderr ? { stderr: ce.stderr } : {}) });
  }
}

export type { Channel, ChannelEnv, SendResult } from './channel.ts';
