import { readFileSync } from 'node:fs';
import { redactSecrets } from '../../util/redact.ts';
import { htmlText, safeUrl } from '../escape.ts';
import { condensed, type AlertMessage } from '../message.ts';
import type { Channel, ChannelEnv, SendResult } from './channel.ts';

/**
 * E-mail over SMTP with nodemailer (the maintained SMTP client for Node; STARTTLS, auth, MIME in one), text and
 * HTML parts. HTML is built from escaped text only; the subject is plain text (a header, folded by nodemailer).
 */

export interface EmailConfig {
  smtp: { host: string; port: number; secure: boolean; starttls: boolean; caFile?: string | undefined };
  userEnv?: string | undefined;
  passwordEnv?: string | undefined;
  from: string;
  to: string[];
}

export function renderEmail(m: AlertMessage): { subject: string; text: string; html: string } {
  const subject = `[depwarden ${m.severity}] ${m.title}`.replace(/[\r\n]+/g, ' ');
  const text: string[] = [m.title, ''];
  const html: string[] = [`<h2>${htmlText(m.title)}</h2>`];
  for (const { item: i, places } of condensed(m.items)) {
    const named = places.filter((p) => p.place).map((p) => `${p.place}${p.owners.length ? ` (${p.owners.join(', ')})` : ''}`);
    text.push(`* ${i.title} (${i.severity})`, ...i.text.split('\n').map((l) => `  ${l}`));
    html.push(`<h3>${htmlText(i.title)} <small>(${htmlText(i.severity)})</small></h3>`, `<p>${i.text.split('\n').map(htmlText).join('<br>')}</p>`);
    const facts = [...Object.entries(i.fields ?? {}), ...(named.length ? [[named.length === 1 ? 'where' : `in ${named.length}`, named.join(', ')] as [string, string]] : [])];
    if (facts.length) {
      text.push(...facts.map(([k, v]) => `  ${k}: ${v}`));
      html.push(`<table>${facts.map(([k, v]) => `<tr><th align="left">${htmlText(k)}</th><td>${htmlText(v)}</td></tr>`).join('')}</table>`);
    }
    for (const l of i.links ?? []) {
      text.push(`  ${l.title}: ${l.url}`);
      const u = safeUrl(l.url);
      html.push(u ? `<p><a href="${htmlText(u)}">${htmlText(l.title)}</a></p>` : `<p>${htmlText(l.title)}: ${htmlText(l.url)}</p>`);
    }
    text.push('');
  }
  text.push(`-- depwarden · ${m.status} · ${m.at}`);
  html.push(`<p style="color:#666">depwarden · ${htmlText(m.status)} · ${htmlText(m.at)}</p>`);
  return { subject, text: `${text.join('\n')}\n`, html: `<!doctype html><html><body>${html.join('\n')}</body></html>\n` };
}

export function emailChannel(name: string, cfg: EmailConfig, ce: ChannelEnv): Channel {
  return {
    name,
    kind: 'email',
    async send(m): Promise<SendResult> {
      const user = cfg.userEnv ? ce.env[cfg.userEnv] : undefined;
      const pass = cfg.passwordEnv ? ce.env[cfg.passwordEnv] : undefined;
      if (cfg.userEnv && !user) return { ok: false, permanent: true, error: `environment variable ${cfg.userEnv} is not set` };
      if (cfg.passwordEnv && !pass) return { ok: false, permanent: true, error: `environment variable ${cfg.passwordEnv} is not set` };
      let ca: string | undefined;
      try {
        ca = cfg.smtp.caFile ? readFileSync(cfg.smtp.caFile, 'utf8') : undefined;
      } catch (e) {
        return { ok: false, permanent: true, error: `smtp caFile ${cfg.smtp.caFile}: ${(e as NodeJS.ErrnoException).code ?? 'unreadable'}` };
      }
      const nodemailer = (await import('nodemailer')).default;
      const transport = nodemailer.createTransport({
        host: cfg.smtp.host,
        port: cfg.smtp.port,
        secure: cfg.smtp.secure,
        requireTLS: !cfg.smtp.secure && cfg.smtp.starttls,
        ignoreTLS: !cfg.smtp.secure && !cfg.smtp.starttls,
        ...(user ? { auth: { user, pass: pass ?? '' } } : {}),
        connectionTimeout: Math.min(ce.timeoutMs, 10_000),
        greetingTimeout: ce.timeoutMs,
        socketTimeout: ce.timeoutMs,
        ...(ca ? { tls: { ca } } : {}),
      });
      const r = renderEmail(m);
      try {
        const info = await transport.sendMail({ from: cfg.from, to: cfg.to, subject: r.subject, text: r.text, html: r.html, date: new Date(m.at), headers: { 'X-Depwarden-Group': m.groupKey } });
        if (info.rejected.length && !info.accepted.length) return { ok: false, error: `smtp ${cfg.smtp.host}: every recipient refused` };
        return { ok: true, status: Number(/^(\d{3})/.exec(info.response)?.[1] ?? 250) };
      } catch (e) {
        const err = e as Error & { responseCode?: number; code?: string };
        const code = err.responseCode;
        // 5xx replies are permanent in SMTP (bad recipient, auth refused); 4xx and connection failures are worth another try.
        return { ok: false, ...(code ? { status: code } : {}), permanent: code !== undefined && code >= 500, error: redactSecrets(`smtp ${cfg.smtp.host}:${cfg.smtp.port}: ${err.code ? `${err.code} ` : ''}${err.message.split('\n')[0]}`) };
      } finally {
        transport.close();
      }
    },
  };
}
