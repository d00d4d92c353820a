import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, it } from 'node:test';
import { sendWithRetries } from '../../src/http/client.ts';

/** The client's additions for the server side (issue 13): POST bodies, unix sockets, and compressed answers. */
describe('HTTP client: POST, unix socket, Content-Encoding', () => {
  it('a gzip answer whose Content-Length counts the compressed bytes is read whole (Prometheus compresses)', async () => {
    const text = JSON.stringify({ status: 'success', data: { resultType: 'scalar', result: [1, '7'] } });
    const gz = gzipSync(text);
    assert.ok(gz.length !== text.length);
    const s = createServer((_req, res) => res.writeHead(200, { 'content-encoding': 'gzip', 'content-length': String(gz.length) }).end(gz));
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
    try {
      const res = await sendWithRetries(`http://127.0.0.1:${(s.address() as AddressInfo).port}/`, { allowHosts: ['127.0.0.1'], retries: 0 });
      assert.equal(Buffer.from(res.body).toString('utf8'), text);
    } finally {
      s.close();
    }
  });

  it('POST sends the body; a unix socket path replaces TCP', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'dw-sock-'));
    const sock = path.join(dir, 's.sock');
    const s = createServer((req, res) => {
      let body = '';
      req.on('data', (d) => (body += d));
      req.on('end', () => res.end(`${req.method} ${req.url} ${body}`));
    });
    await new Promise<void>((r) => s.listen(sock, r));
    try {
      const res = await sendWithRetries('http://docker/x', { allowHosts: ['docker'], socketPath: sock, method: 'POST', body: '{"a":1}', retries: 0 });
      assert.equal(Buffer.from(res.body).toString('utf8'), 'POST /x {"a":1}');
    } finally {
      s.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
