/**
 * How any capability tells people something (a rollback, a failed gate, a new vulnerability). The alerts
 * capability routes notices to channels (Slack, Teams, webhook, e-mail, GitHub issue); until a channel is
 * configured a notice goes to the log channel, so nothing is silently dropped.
 */
export type NoticeSeverity = 'info' | 'warning' | 'critical';

export interface Notice {
  /** Stable kind, e.g. `rollback.performed`, `deploy.gate_failed`, `vulnerability.new`. */
  kind: string;
  severity: NoticeSeverity;
  title: string;
  /** Plain text, several lines allowed; channels render it. */
  text: string;
  /** Key/value facts shown as a table (from → to versions, gate numbers...). */
  fields?: Record<string, string>;
  /** The same condition has the same key: a channel sends it once until it resolves. */
  dedupKey: string;
  repo?: string;
  service?: string;
  /** Links for the reader (post-mortem file, change, dashboard page). */
  links?: { title: string; url: string }[];
}

export interface Notifier {
  notify(notice: Notice): Promise<void>;
}
