import { markdownText, safeUrl } from '../escape.ts';
import { condensed, type AlertMessage } from '../message.ts';
import { type Channel, type ChannelEnv, secretOf, sendJson } from './channel.ts';

/**
 * Microsoft Teams through a Workflows ("When a Teams webhook request is received") webhook: a message with one
 * Adaptive Card attachment. TextBlocks render a Markdown subset, so record text is Markdown-escaped.
 */

const COLOR: Record<string, string> = { critical: 'attention', high: 'attention', medium: 'warning', low: 'default' };
const MAX_ITEMS = 30;

export function renderTeams(m: AlertMessage): Record<string, unknown> {
  const body: Record<string, unknown>[] = [{ type: 'TextBlock', size: 'Large', weight: 'Bolder', wrap: true, color: m.status === 'resolved' ? 'good' : (COLOR[m.severity] ?? 'default'), text: markdownText(m.title) }];
  const entries = condensed(m.items);
  for (const { item: i, places } of entries.slice(0, MAX_ITEMS)) {
    const named = places.filter((p) => p.place).map((p) => `${p.place}${p.owners.length ? ` (${p.owners.join(', ')})` : ''}`);
    body.push({ type: 'TextBlock', weight: 'Bolder', wrap: true, separator: true, text: markdownText(i.title) });
    if (i.text) body.push({ type: 'TextBlock', wrap: true, text: markdownText(i.text) });
    const facts = [...Object.entries(i.fields ?? {}), ...(named.length ? [[named.length === 1 ? 'where' : `in ${named.length}`, named.join(', ')] as [string, string]] : [])];
    // FactSet values are plain text in Teams (no Markdown), so they are not escaped.
    if (facts.length) body.push({ type: 'FactSet', facts: facts.map(([title, value]) => ({ title, value })) });
  }
  if (entries.length > MAX_ITEMS) body.push({ type: 'TextBlock', wrap: true, text: `…and ${entries.length - MAX_ITEMS} more` });
  body.push({ type: 'TextBlock', isSubtle: true, size: 'Small', wrap: true, text: markdownText(`${m.severity} · ${m.status} · depwarden · ${m.at}`) });
  const actions = entries.map((e) => e.item).flatMap((i) => (i.links ?? []).map((l) => ({ title: l.title, url: safeUrl(l.url) })).filter((a): a is { title: string; url: string } => a.url !== undefined)).slice(0, 5);
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
