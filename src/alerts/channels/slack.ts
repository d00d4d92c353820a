import { safeUrl, slackText } from '../escape.ts';
import { condensed, type AlertItem, type AlertMessage } from '../message.ts';
import { type Channel, type ChannelEnv, secretOf, sendJson } from './channel.ts';

/** Slack incoming webhook, Block Kit. Text from records is mrkdwn-escaped (`&`, `<`, `>`): no links or mentions injected. */

const EMOJI: Record<string, string> = { critical: ':rotating_light:', high: ':red_circle:', medium: ':large_orange_circle:', low: ':white_circle:' };
/** Slack refuses a message of more than 50 blocks; the rest is summarised in one line. */
const MAX_ITEMS = 40;
const clip = (s: string, n: number): string => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

const placeText = (p: { place: string; owners: string[] }): string => `\`${slackText(p.place)}\`${p.owners.length ? ` (${p.owners.map(slackText).join(', ')})` : ''}`;

function itemBlock(i: AlertItem, places: { place: string; owners: string[] }[]): Record<string, unknown> {
  const named = places.filter((p) => p.place);
  const lines = [`*${slackText(i.title)}*${named.length === 1 ? ` — ${placeText(named[0]!)}` : ''}`, slackText(i.text)];
  const facts = Object.entries(i.fields ?? {}).map(([k, v]) => `*${slackText(k)}:* ${slackText(v)}`);
  if (facts.length) lines.push(facts.join('  ·  '));
  if (named.length > 1) lines.push(`*in ${named.length}:* ${named.slice(0, 60).map(placeText).join(', ')}${named.length > 60 ? `, …and ${named.length - 60} more` : ''}`);
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
  const entries = condensed(m.items);
  for (const e of entries.slice(0, MAX_ITEMS)) blocks.push(itemBlock(e.item, e.places));
  if (entries.length > MAX_ITEMS) blocks.push({ type: 'section', text: { type: 'mrkdwn', text: `…and ${entries.length - MAX_ITEMS} more` } });
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
