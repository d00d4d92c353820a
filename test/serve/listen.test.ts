import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkListen, isLoopback, ListenRefused } from '../../src/serve/server.ts';

describe('the listen address', () => {
  it('is loopback only unless TLS or --insecure-listen', () => {
    for (const h of ['127.0.0.1', '127.0.0.2', '::1', 'localhost']) assert.ok(isLoopback(h), h);
    for (const h of ['0.0.0.0', '10.0.0.1', '::', 'example.com', '128.0.0.1']) assert.ok(!isLoopback(h), h);
    assert.throws(() => checkListen('0.0.0.0', false, false), ListenRefused);
    assert.doesNotThrow(() => checkListen('0.0.0.0', true, false));
    assert.doesNotThrow(() => checkListen('0.0.0.0', false, true));
    assert.doesNotThrow(() => checkListen('127.0.0.1', false, false));
  });
});
