import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseConfig } from '../../src/config/load.ts';

const yaml = `alerts:
  channels:
    ops:
      kind: webhook
      url: https://hooks.example.com/dw
      secretEnv: DW_HOOK_SECRET
  routes:
    - match: { severity: high }
      channels: [ops, pager]
`;

test('a route naming an unknown channel is a config error with file:line:key', async () => {
  await assert.rejects(parseConfig('depwarden.yaml', yaml), (e: Error) => {
    assert.match(e.message, /depwarden\.yaml:9: alerts\.routes\.0\.channels\.1: unknown channel "pager" \(configured: ops\)/);
    return true;
  });
});

test('defaults: no channels, no routes, the protocol rules on', async () => {
  const c = await parseConfig('depwarden.yaml', '');
  assert.deepEqual(c.alerts.channels, {});
  assert.equal(c.alerts.rules.vulnerability.minSeverity, 'high');
  assert.equal(c.alerts.rules.auditChain.enabled, true);
});

test('a secret in the file is not accepted: channels take environment variable names', async () => {
  await assert.rejects(parseConfig('depwarden.yaml', 'alerts:\n  channels:\n    s:\n      kind: slack\n      webhookUrl: https://hooks.slack.com/services/T/B/X\n'), /alerts\.channels\.s\.(webhookUrl|webhookUrlEnv)/);
  await assert.rejects(parseConfig('depwarden.yaml', 'alerts:\n  channels:\n    s:\n      kind: slack\n      webhookUrlEnv: https://hooks.slack.com/x\n'), /an environment variable name/);
});
