import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it } from 'node:test';
import { readWorkflowPaths, serviceOfCheck, serviceOfWorkflow, servicesOfCheckout, workflowPaths } from '../../src/builds/services.ts';
import { CORPUS } from '../helpers/corpus.ts';

describe('which service a build is of', () => {
  const services = [
    { name: 'api', root: 'services/api' },
    { name: 'api-admin', root: 'services/api/admin' },
    { name: 'web', root: 'web' },
  ];

  it('a workflow: every paths glob inside one service folder (the innermost); mixed or none → the repository', () => {
    assert.equal(serviceOfWorkflow(services, ['services/api/**']), 'api');
    assert.equal(serviceOfWorkflow(services, ['services/api/admin/**', 'services/api/admin/x.py']), 'api-admin');
    assert.equal(serviceOfWorkflow(services, ['services/api/**', 'web/**']), '');
    assert.equal(serviceOfWorkflow(services, ['**/*.py']), '');
    assert.equal(serviceOfWorkflow(services, []), '');
    // A prefix that only starts like a service folder is not inside it.
    assert.equal(serviceOfWorkflow(services, ['webhooks/**']), '');
  });

  it('paths filters of push and pull_request; negations ignored; YAML that is not a workflow → none', () => {
    assert.deepEqual(workflowPaths('on:\n  push:\n    paths: [a/**, "!a/docs/**"]\n  pull_request:\n    paths: [b/*.ts]\n'), ['a/**', 'b/*.ts']);
    assert.deepEqual(workflowPaths('on: push\n'), []);
    assert.deepEqual(workflowPaths(': : :'), []);
  });

  it('a check run or status: its name, or a matrix job "(name)"', () => {
    assert.equal(serviceOfCheck(services, 'web'), 'web');
    assert.equal(serviceOfCheck(services, 'test (api)'), 'api');
    assert.equal(serviceOfCheck(services, 'lint'), '');
  });

  it('a real monorepo of the corpus (AgentGPT, read in place): its workflows map to the platform and frontend services', async () => {
    const root = path.join(CORPUS, 'monorepo', 'reworkd__AgentGPT');
    const found = await servicesOfCheckout(root);
    assert.equal(serviceOfWorkflow(found, readWorkflowPaths(root, '.github/workflows/python.yml')), 'platform');
    assert.equal(serviceOfWorkflow(found, readWorkflowPaths(root, '.github/workflows/node.js.yml')), 'frontend');
    // Only workflow files are read, and only inside the checkout.
    assert.deepEqual(readWorkflowPaths(root, '../../../etc/passwd'), []);
  });
});
