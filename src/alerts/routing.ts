import type { AlertsConfig, RouteConfig } from '../config/sections/alerts.ts';
import { severityRank } from './message.ts';

/**
 * Which channels an alert goes to: the first route whose matchers all hold (more with `continue`), Alertmanager
 * style. No routes: every configured channel; no channel at all: the log channel (`log`), so nothing is dropped.
 */

export interface Target {
  channel: string;
  route: RouteConfig;
  /** Index of the route in alerts.routes (-1: the implicit route). */
  routeIndex: number;
}

export interface Routable {
  rule: string;
  severity: string;
  repo?: string | undefined;
  service?: string | undefined;
}

const ruleMatches = (patterns: string[], rule: string): boolean => patterns.some((p) => (p.endsWith('*') ? rule.startsWith(p.slice(0, -1)) : p === rule));

export function routeMatches(r: RouteConfig, a: Routable): boolean {
  const m = r.match;
  if (m.rule && !ruleMatches(m.rule, a.rule)) return false;
  if (m.severity && severityRank(a.severity) < severityRank(m.severity)) return false;
  if (m.service && !m.service.includes(a.service ?? '')) return false;
  if (m.repo && !m.repo.includes(a.repo ?? '')) return false;
  return true;
}

export const IMPLICIT_ROUTE: RouteConfig = { match: {}, channels: [], repeatInterval: '4h', groupBy: ['rule', 'group'], digest: 'off', continue: false };

export function routeTargets(cfg: AlertsConfig, a: Routable): Target[] {
  if (cfg.routes.length === 0) {
    const names = Object.keys(cfg.channels).sort();
    return (names.length ? names : ['log']).map((channel) => ({ channel, route: { ...IMPLICIT_ROUTE, channels: names.length ? names : ['log'] }, routeIndex: -1 }));
  }
  const out: Target[] = [];
  for (const [i, r] of cfg.routes.entries()) {
    if (!routeMatches(r, a)) continue;
    for (const c of r.channels) if (!out.some((t) => t.channel === c)) out.push({ channel: c, route: r, routeIndex: i });
    if (!r.continue) break;
  }
  return out;
}
