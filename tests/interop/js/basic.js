'use strict';
// Object lifecycle, connections, describe, properties, tags and ServerManager,
// driven through the official kurento-client.
// Usage: node basic.js ws://127.0.0.1:8888/kurento
const {
  PIPELINE_ID_RE, call, check, checkEqual, connect, elementIdRe, kurentoClient, run, step,
} = require('./lib/harness');

function ids(objects) {
  return (objects || []).map((o) => o.id).sort();
}

run('basic', async (url) => {
  const { client } = await step('connect', connect(url));
  const results = {};

  const pipeline = await step('create MediaPipeline', call(client, 'create', 'MediaPipeline'));
  check(PIPELINE_ID_RE.test(pipeline.id), `bad pipeline id ${pipeline.id}`);
  results.pipelineId = pipeline.id;

  const a = await step('create PassThrough a', call(pipeline, 'create', 'PassThrough'));
  const b = await step('create PassThrough b', call(pipeline, 'create', 'PassThrough'));
  for (const element of [a, b]) {
    check(elementIdRe(pipeline.id, 'PassThrough').test(element.id), `bad element id ${element.id}`);
  }
  results.elementIds = [a.id, b.id];

  await step('connect a -> b', call(a, 'connect', b));

  const sinks = await step('a.getSinkConnections', call(a, 'getSinkConnections'));
  const sources = await step('b.getSourceConnections', call(b, 'getSourceConnections'));
  check(Array.isArray(sinks) && sinks.length > 0, `a has no sink connections: ${JSON.stringify(sinks)}`);
  check(Array.isArray(sources) && sources.length > 0, `b has no source connections: ${JSON.stringify(sources)}`);
  for (const c of sinks.concat(sources)) {
    checkEqual([c.source, c.sink], [a.id, b.id], 'connection endpoints');
    check(['AUDIO', 'VIDEO', 'DATA'].includes(c.type), `bad connection type ${c.type}`);
  }
  results.sinkConnectionTypes = sinks.map((c) => c.type).sort();
  results.sourceConnectionTypes = sources.map((c) => c.type).sort();
  checkEqual(await step('a.getSourceConnections', call(a, 'getSourceConnections')), [], 'a sources');
  checkEqual(await step('b.getSinkConnections', call(b, 'getSinkConnections')), [], 'b sinks');

  // describe: a second client has nothing cached, so getMediaobjectById goes to
  // the server and builds proxies of the right classes from the reply.
  const { client: other } = await step('connect second client', connect(url));
  const [pipeline2, a2] = await step('getMediaobjectById',
    call(other, 'getMediaobjectById', [pipeline.id, a.id]));
  check(pipeline2 instanceof kurentoClient.register.classes.MediaPipeline,
    'described pipeline is not a MediaPipeline proxy');
  check(a2 instanceof kurentoClient.register.classes.PassThrough,
    'described element is not a PassThrough proxy');
  checkEqual([pipeline2.id, a2.id], [pipeline.id, a.id], 'described ids');
  results.describedTypes = [pipeline2.constructor.name, a2.constructor.name];
  // The name defaults to the id.
  checkEqual(await step('a.getName via second client', call(a2, 'getName')), a.id, 'default name');

  // Getters and setters.
  await step('a.setName', call(a, 'setName', 'first-passthrough'));
  const name = await step('a.getName', call(a, 'getName'));
  checkEqual(name, 'first-passthrough', 'name after setName');
  checkEqual(await step('a.getName via second client', call(a2, 'getName')), name, 'shared name');
  checkEqual(await step('a.getSendTagsInEvents', call(a, 'getSendTagsInEvents')), false,
    'default sendTagsInEvents');
  await step('a.setSendTagsInEvents', call(a, 'setSendTagsInEvents', true));
  checkEqual(await step('a.getSendTagsInEvents', call(a, 'getSendTagsInEvents')), true,
    'sendTagsInEvents after set');
  const created = await step('a.getCreationTime', call(a, 'getCreationTime'));
  check(Number.isInteger(created) && Math.abs(created - Date.now() / 1000) < 600,
    `creationTime ${created} is not a recent epoch second`);
  const owner = await step('a.getMediaPipeline', call(a, 'getMediaPipeline'));
  checkEqual(owner && owner.id, pipeline.id, 'getMediaPipeline');
  const parent = await step('a.getParent', call(a, 'getParent'));
  checkEqual(parent && parent.id, pipeline.id, 'getParent');
  results.name = name;

  // Tags.
  await step('a.addTag', call(a, 'addTag', 'room', 'blue'));
  await step('a.addTag', call(a, 'addTag', 'user', 'ann'));
  checkEqual(await step('a.getTag', call(a, 'getTag', 'room')), 'blue', 'getTag');
  const tags = await step('a.getTags', call(a, 'getTags'));
  const pairs = tags.map((t) => [t.key, t.value]).sort();
  checkEqual(pairs, [['room', 'blue'], ['user', 'ann']], 'getTags');
  await step('a.removeTag', call(a, 'removeTag', 'room'));
  const left = await step('a.getTags', call(a, 'getTags'));
  checkEqual(left.map((t) => [t.key, t.value]), [['user', 'ann']], 'getTags after removeTag');
  results.tags = pairs;

  // Children.
  const children = await step('pipeline.getChildren', call(pipeline, 'getChildren'));
  checkEqual(ids(children), [a.id, b.id].sort(), 'pipeline children');
  checkEqual(ids(await step('a.getChildren', call(a, 'getChildren'))), [], 'element children');
  results.childCount = children.length;

  // ServerManager.
  const manager = await step('getServerManager', call(client, 'getServerManager'));
  checkEqual(manager.id, 'manager_ServerManager', 'server manager id');
  const info = await step('getInfo', call(manager, 'getInfo'));
  const modules = info.modules.map((m) => m.name).sort();
  for (const needed of ['core', 'elements', 'filters']) {
    check(modules.includes(needed), `getInfo lacks module ${needed}: ${modules}`);
  }
  checkEqual(info.type, 'KMS', 'ServerInfo.type');
  check(typeof info.version === 'string' && info.version.length > 0, 'ServerInfo.version missing');
  results.info = { type: info.type, version: info.version, modules,
    capabilities: info.capabilities };
  let pipelines = await step('getPipelines', call(manager, 'getPipelines'));
  check(ids(pipelines).includes(pipeline.id), `getPipelines lacks ${pipeline.id}`);

  // Release takes the children with it.
  await step('pipeline.release', call(pipeline, 'release'));
  pipelines = await step('getPipelines after release', call(manager, 'getPipelines'));
  check(!ids(pipelines).includes(pipeline.id), 'released pipeline still listed');
  results.released = true;

  other.close();
  client.close();
  return results;
});
