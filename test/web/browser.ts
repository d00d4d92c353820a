import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

/**
 * Debian's Chromium driven by playwright-core (which brings no browser of its own): a fresh profile per
 * context, no network beyond what the page asks of our loopback server.
 */
export const CHROMIUM = '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

export interface Browser {
  context: BrowserContext;
  close(): Promise<void>;
}

export async function launch(opts: { width?: number; height?: number; colorScheme?: 'light' | 'dark' } = {}): Promise<Browser> {
  const dir = mkdtempSync(path.join(tmpdir(), 'dw-chromium-'));
  const context = await chromium.launchPersistentContext(dir, { executablePath: CHROMIUM, headless: true, args: ARGS, viewport: { width: opts.width ?? 1280, height: opts.height ?? 900 }, colorScheme: opts.colorScheme ?? 'light' });
  return {
    context,
    close: async () => {
      await context.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Console errors, uncaught exceptions, failed requests and dialogs of a page, collected for assertions. */
export function watch(page: Page): { problems: string[]; dialogs: string[] } {
  const problems: string[] = [];
  const dialogs: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') problems.push(`console ${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('response', (r) => {
    if (r.status() >= 400) problems.push(`HTTP ${r.status()} ${r.url()}`);
  });
  page.on('dialog', (d) => {
    dialogs.push(d.message());
    void d.dismiss();
  });
  return { problems, dialogs };
}

/** Waits until the app has rendered `page` (the router marks the body when a page is done). */
export async function ready(page: Page, name: string): Promise<void> {
  // A function (a string would be eval'd in the page, which its CSP forbids); the tests' TypeScript has no DOM types.
  await page.waitForFunction((n) => {
    const d = (globalThis as unknown as { document: { body: { dataset: Record<string, string> }; getElementById(id: string): { getAttribute(a: string): string | null } | null } }).document;
    return d.body.dataset.ready === n && d.getElementById('main')?.getAttribute('aria-busy') === 'false';
  }, name, { timeout: 20_000 });
}
