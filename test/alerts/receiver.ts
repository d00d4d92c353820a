import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A loopback HTTP receiver that records every request and answers from a script (status, headers, body). */
export interface Received {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

export interface Answer {
  status: number;
  headers?: Record<string, string>;
  body?: string;
  delayMs?: number;
}

export interface Receiver {
  url: string;
  port: number;
  requests: Received[];
  /** Answers in order; the last one repeats. Or a function of the request. */
  answer: Answer[] | ((r: Received) => Answer);
  close(): Promise<void>;
}

export async function startReceiver(answer: Receiver['answer'] = [{ status: 200, body: 'ok' }]): Promise<Receiver> {
  const requests: Received[] = [];
  const rec: Receiver = { url: '', port: 0, requests, answer, close: async () => {} };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const r: Received = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
      requests.push(r);
      const list = rec.answer;
      const a = typeof list === 'function' ? list(r) : (list[Math.min(requests.length - 1, list.length - 1)] ?? { status: 200 });
      const send = (): void => {
        if (res.destroyed) return;
        res.writeHead(a.status, { 'content-type': 'text/plain', ...a.headers });
        res.end(a.body ?? '');
      };
      if (a.delayMs) setTimeout(send, a.delayMs).unref();
      else send();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  rec.port = (server.address() as AddressInfo).port;
  rec.url = `http://127.0.0.1:${rec.port}`;
  rec.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return rec;
}
