import type { AlertSeverity } from '../config/sections/alerts.ts';
import type { Notice } from './notifier.ts';

/**
 * What a channel is handed: one message about one group of alerts (one advisory across every service and
 * repository that has it, one failing build, one rollback), or a digest of many. Plain data: each channel module
 * renders it in its own format and escapes the text for it.
 */

export interface AlertItem {
  /** The rule that raised it: `vulnerability.new`, `build.failing`, `deploy.rolled_back`... */
  rule: string;
  severity: AlertSeverity;
  title: string;
  text: string;
  fields?: Record<string, string>;
  repo?: string;
  service?: string;
  owners?: string[];
  links?: { title: string; url: string }[];
  dedupKey: string;
}

export type MessageStatus = 'firing' | 'resolved' | 'digest' | 'test';

export interface AlertMessage {
  status: MessageStatus;
  /** The group this message is about (e.g. `vulnerability.new|GHSA-xxxx`); a digest's is `digest:<period>`. */
  groupKey: string;
  title: string;
  severity: AlertSeverity;
  items: AlertItem[];
  /** Every alert now firing for the same channel (the dashboard issue shows the whole state, not one message). */
  active?: AlertItem[];
  /** When it was composed (ISO); the webhook body and e-mail Date carry it. */
  at: string;
}

export const SEVERITIES: AlertSeverity[] = ['low', 'medium', 'high', 'critical'];
export const severityRank = (s: string): number => SEVERITIES.indexOf(s as AlertSeverity);
export const maxSeverity = (xs: AlertSeverity[]): AlertSeverity => xs.reduce<AlertSeverity>((a, b) => (severityRank(b) > severityRank(a) ? b : a), 'low');

/** A deploy or CLI notice (the older Notifier seam) as an alert item: info/warning/critical map to low/medium/critical. */
export function itemOfNotice(n: Notice): AlertItem {
  const severity: AlertSeverity = n.severity === 'critical' ? 'critical' : n.severity === 'warning' ? 'medium' : 'low';
  return { rule: n.kind, severity, title: n.title, text: n.text, dedupKey: n.dedupKey, ...(n.fields ? { fields: n.fields } : {}), ...(n.repo ? { repo: n.repo } : {}), ...(n.service ? { service: n.service } : {}), ...(n.links ? { links: n.links } : {}) };
}

/** One message of items that share a group: its title names the group and how far it reaches. */
export function messageOf(status: MessageStatus, groupKey: string, items: AlertItem[], at: string): AlertMessage {
  const sorted = [...items].sort((a, b) => (a.dedupKey < b.dedupKey ? -1 : a.dedupKey > b.dedupKey ? 1 : 0));
  const first = sorted[0]!;
  const services = new Set(sorted.map((i) => `${i.repo ?? ''}/${i.service ?? ''}`));
  const repos = new Set(sorted.map((i) => i.repo ?? ''));
  const reach = sorted.length === 1 ? '' : ` (${services.size} service${services.size === 1 ? '' : 's'}${repos.size > 1 ? ` in ${repos.size} repositories` : ''})`;
  const prefix = status === 'resolved' ? 'Resolved: ' : '';
  return { status, groupKey, title: `${prefix}${first.title}${reach}`, severity: maxSeverity(sorted.map((i) => i.severity)), items: sorted, at };
}

export function digestOf(period: string, items: AlertItem[], at: string): AlertMessage {
  const sorted = [...items].sort((a, b) => severityRank(b.severity) - severityRank(a.severity) || (a.dedupKey < b.dedupKey ? -1 : 1));
  return { status: 'digest', groupKey: `digest:${period}`, title: `depwarden ${period} digest: ${sorted.length} alert${sorted.length === 1 ? '' : 's'}`, severity: maxSeverity(sorted.map((i) => i.severity)), items: sorted, at };
}

/** Where an item is: `repo/service`, `repo`, or nothing. */
export const placeOf = (i: AlertItem): string => [i.repo, i.service].filter(Boolean).join('/');

/**
 * The items of a message as the renderers show them: items saying the same thing (one advisory in many services)
 * become one entry listing every place it applies to, so a message about 40 services is one paragraph and a list.
 */
export function condensed(items: AlertItem[]): { item: AlertItem; places: { place: string; owners: string[] }[] }[] {
  const out: { item: AlertItem; places: { place: string; owners: string[] }[] }[] = [];
  for (const i of items) {
    const same = out.find((o) => o.item.title === i.title && o.item.text === i.text && o.item.rule === i.rule && JSON.stringify(o.item.fields ?? {}) === JSON.stringify(i.fields ?? {}));
    const place = { place: placeOf(i), owners: i.owners ?? [] };
    if (same) same.places.push(place);
    else out.push({ item: i, places: [place] });
  }
  return out;
}
