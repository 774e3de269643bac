'use strict';
// An explicit transaction through the official kurento-client: one
// `transaction` request that creates a pipeline and two PassThroughs (with
// "newref:N" references) and connects them; then everything must exist.
// Usage: node transaction.js ws://127.0.0.1:8888/kurento
const {
  PIPELINE_ID_RE, call, check, checkEqual, connect, elementIdRe, run, step,
} = require('./lib/harness');

run('transaction', async (url) => {
  const { client } = await step('connect', connect(url));
  const results = {};

  // Nothing is sent until commit; the proxies get their ids from the reply.
  const tx = client.beginTransaction();
  const pipeline = client.create(tx, 'MediaPipeline');
  const a = pipeline.create(tx, 'PassThrough');
  const b = pipeline.create(tx, 'PassThrough');
  // kurento-client-core 7.3.0's MediaElement.connect(transaction, sink) loses
  // the transaction (its else-branch re-declares `var transaction` after the
  // first shift), so the call escapes the transaction and fails with
  // TransactionNotCommitedException. `_invoke(transaction, ...)` is what every
  // generated method calls, and it honours the transaction.
  const connected = call(a, '_invoke', tx, 'connect', { sink: b });
  const renamed = call(b, 'setName', tx, 'made-in-transaction');
  check(pipeline.id === undefined, 'pipeline got an id before commit');

  const reply = await step('commit', call(tx, 'commit'));
  await step('connect operation result', connected);
  await step('setName operation result', renamed);
  results.operations = Array.isArray(reply && reply.value) ? reply.value.length : null;
  checkEqual(results.operations, 5, 'transaction reply length');
  for (const [i, op] of reply.value.entries()) {
    checkEqual(op.id, i, `operation ${i} id`);
    check(op.error === undefined, `operation ${i} failed: ${JSON.stringify(op.error)}`);
  }

  check(PIPELINE_ID_RE.test(pipeline.id), `bad pipeline id ${pipeline.id}`);
  for (const element of [a, b]) {
    check(elementIdRe(pipeline.id, 'PassThrough').test(element.id), `bad element id ${element.id}`);
  }
  results.ids = [pipeline.id, a.id, b.id];

  // Everything exists on the server, connected as requested.
  const manager = await step('getServerManager', call(client, 'getServerManager'));
  const pipelines = await step('getPipelines', call(manager, 'getPipelines'));
  check(pipelines.map((p) => p.id).includes(pipeline.id), 'pipeline not listed by getPipelines');
  const children = await step('pipeline.getChildren', call(pipeline, 'getChildren'));
  checkEqual(children.map((c) => c.id).sort(), [a.id, b.id].sort(), 'pipeline children');
  const owner = await step('a.getMediaPipeline', call(a, 'getMediaPipeline'));
  checkEqual(owner && owner.id, pipeline.id, 'a.getMediaPipeline');
  const sinks = await step('a.getSinkConnections', call(a, 'getSinkConnections'));
  check(sinks.length > 0, 'a is not connected to b');
  for (const c of sinks) checkEqual([c.source, c.sink], [a.id, b.id], 'connection endpoints');
  results.sinkConnectionTypes = sinks.map((c) => c.type).sort();
  checkEqual(await step('b.getName', call(b, 'getName')), 'made-in-transaction', 'b.getName');
  checkEqual(await step('a.getName', call(a, 'getName')), a.id, 'a.getName');

  await step('pipeline.release', call(pipeline, 'release'));
  client.close();
  return results;
});
