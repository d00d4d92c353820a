import { markdownText, safeUrl } from '../escape.ts';
import { placeOf, type AlertMessage } from '../message.ts';
import { type Channel, type ChannelEnv, secretOf, sendJson } from './channel.ts';

/**
 * Microsoft Teams through a Workflows ("When a Teams webhook request is received") webhook: a message with one
 * Adaptive Card attachment. TextBlocks render a Markdown subset, so record text is Markdown-escaped.
 */

const COLOR: Record<string, string> = { critical: 'attention', high: 'attention', medium: 'warning', low: 'default' };
const MAX_ITEMS = 30;

export function renderTeams(m: AlertMessage): Record<string, unknown> {
  const body: Record<string, unknown>[] = [{ type: 'TextBlock', size: 'Large', weight: 'Bolder', wrap: true, color: m.status === 'resolved' ? 'good' : (COLOR[m.severity] ?? 'default'), text: markdownText(m.title) }];
  for (const i of m.items.slice(0, MAX_ITEMS)) {
    const place = placeOf(i);
    body.push({ type: 'TextBlock', weight: 'Bolder', wrap: true, separator: true, text: `${markdownText(i.title)}${place ? ` — ${markdownText(place)}` : ''}` });
    if (i.text) body.push({ type: 'TextBlock', wrap: true, text: markdownText(i.text) });
    const facts = [...Object.entries(i.fields ?? {}), ...(i.owners?.length ? [['owners', i.owners.join(', ')] as [string, string]] : [])];
    // FactSet values are plain text in Teams (no Markdown), so they are not escaped.
    if (facts.length) body.push({ type: 'FactSet', facts: facts.map(([title, value]) => ({ title, value })) });
  }
  if (m.items.length > MAX_ITEMS) body.push({ type: 'TextBlock', wrap: true, text: `…and ${m.items.length - MAX_ITEMS} more` });
  body.push({ type: 'TextBlock', isSubtle: true, size: 'Small', wrap: true, text: markdownText(`${m.severity} · ${m.status} · depwarden · ${m.at}`) });
  const actions = m.items.flatMap((i) => (i.links ?? []).map((l) => ({ title: l.title, url: safeUrl(l.url) })).filter((a): a is { title: string; url: string } => a.url !== undefined)).slice(0, 5);
  return {
    type: 'message',
    attachments: [
      {
        contentType: 'application/vnd.microsoft.card.adaptive',
        contentUrl: null,
        content: { $schema: 'http://adaptivecards.io/schemas/adaptive-card.json', type: 'AdaptiveCard', version: '1.4', body, ...(actions.length ? { actions: actions.map((a) => ({ type: 'Action.OpenUrl', title: a.title, url: a.url })) } : {}) },
      },
    ],
  };
}

export function teamsChannel(name: string, cfg: { webhookUrlEnv: string }, ce: ChannelEnv): Channel {
  return {
    name,
    kind: 'teams',
    async send(m) {
      const url = secretOf(ce.env, cfg.webhookUrlEnv);
      if ('missing' in url) return url.missing;
      return sendJson(url.value, JSON.stringify(renderTeams(m)), { shown: `teams webhook ($${cfg.webhookUrlEnv})`, timeoutMs: ce.timeoutMs });
    },
  };
}
