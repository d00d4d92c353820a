import { safeUrl, slackText } from '../escape.ts';
import { placeOf, type AlertItem, type AlertMessage } from '../message.ts';
import { type Channel, type ChannelEnv, secretOf, sendJson } from './channel.ts';

/** Slack incoming webhook, Block Kit. Text from records is mrkdwn-escaped (`&`, `<`, `>`): no links or mentions injected. */

const EMOJI: Record<string, string> = { critical: ':rotating_light:', high: ':red_circle:', medium: ':large_orange_circle:', low: ':white_circle:' };
/** Slack refuses a message of more than 50 blocks; the rest is summarised in one line. */
const MAX_ITEMS = 40;
const clip = (s: string, n: number): string => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

function itemBlock(i: AlertItem): Record<string, unknown> {
  const place = placeOf(i);
  const lines = [`*${slackText(i.title)}*${place ? ` — \`${slackText(place)}\`` : ''}`, slackText(i.text)];
  const facts = Object.entries(i.fields ?? {}).map(([k, v]) => `*${slackText(k)}:* ${slackText(v)}`);
  if (facts.length) lines.push(facts.join('  ·  '));
  if (i.owners?.length) lines.push(`owners: ${i.owners.map(slackText).join(', ')}`);
  const links = (i.links ?? []).map((l) => {
    const u = safeUrl(l.url);
    return u ? `<${u.replace(/[<>|]/g, encodeURIComponent)}|${slackText(l.title).replace(/\|/g, '¦')}>` : `${slackText(l.title)}: ${slackText(l.url)}`;
  });
  if (links.length) lines.push(links.join('  '));
  return { type: 'section', text: { type: 'mrkdwn', text: clip(lines.filter(Boolean).join('\n'), 3000) } };
}

export function renderSlack(m: AlertMessage): Record<string, unknown> {
  const head = m.status === 'resolved' ? ':white_check_mark:' : m.status === 'test' ? ':wave:' : (EMOJI[m.severity] ?? '');
  const blocks: Record<string, unknown>[] = [{ type: 'header', text: { type: 'plain_text', text: clip(m.title, 150), emoji: true } }];
  for (const i of m.items.slice(0, MAX_ITEMS)) blocks.push(itemBlock(i));
  if (m.items.length > MAX_ITEMS) blocks.push({ type: 'section', text: { type: 'mrkdwn', text: `…and ${m.items.length - MAX_ITEMS} more` } });
  blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: `${head} ${m.severity} · ${m.status} · depwarden · ${slackText(m.at)}` }] });
  return { text: `${head} ${m.title}`.trim(), blocks };
}

export function slackChannel(name: string, cfg: { webhookUrlEnv: string }, ce: ChannelEnv): Channel {
  return {
    name,
    kind: 'slack',
    async send(m) {
      const url = secretOf(ce.env, cfg.webhookUrlEnv);
      if ('missing' in url) return url.missing;
      return sendJson(url.value, JSON.stringify(renderSlack(m)), { shown: `slack webhook ($${cfg.webhookUrlEnv})`, timeoutMs: ce.timeoutMs });
    },
  };
}
