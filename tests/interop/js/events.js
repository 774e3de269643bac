'use strict';
// Event subscriptions through the official kurento-client: ElementConnected and
// ElementDisconnected on a source element, ObjectCreated on the ServerManager.
// Usage: node events.js ws://127.0.0.1:8888/kurento
const {
  call, check, checkEqual, connect, run, step, waitForEvents,
} = require('./lib/harness');

const MEDIA_TYPES = ['AUDIO', 'DATA', 'VIDEO'];

async function until(condition, pollMs = 20) {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, pollMs));
}

/** Checks the fields every event carries (reference §1.6 "Event envelope rules"). */
function checkCommon(data, source, what) {
  checkEqual(data.source, source, `${what}.source`);
  check(typeof data.timestampMillis === 'string' && /^\d+$/.test(data.timestampMillis),
    `${what}.timestampMillis should be a string of digits, got ${JSON.stringify(data.timestampMillis)}`);
  check(Array.isArray(data.tags), `${what}.tags should be a list`);
}

function checkConnectionEvent(data, type, source, sink) {
  checkCommon(data, source.id, type);
  checkEqual(data.type, type, `${type}.type`);
  checkEqual(data.sink, sink.id, `${type}.sink`);
  check(MEDIA_TYPES.includes(data.mediaType), `${type}.mediaType ${data.mediaType}`);
  checkEqual(data.sourceMediaDescription, 'default', `${type}.sourceMediaDescription`);
  checkEqual(data.sinkMediaDescription, 'default', `${type}.sinkMediaDescription`);
}

run('events', async (url) => {
  const { client } = await step('connect', connect(url));
  const results = {};

  // ObjectCreated on the ServerManager. Subscribing happens when the first
  // listener is added; a round trip afterwards makes sure it took effect.
  const manager = await step('getServerManager', call(client, 'getServerManager'));
  const created = [];
  manager.on('ObjectCreated', (data) => created.push(data));
  await step('round trip after subscribe', call(manager, 'getName'));

  const pipeline = await step('create MediaPipeline', call(client, 'create', 'MediaPipeline'));
  const a = await step('create PassThrough a', call(pipeline, 'create', 'PassThrough'));
  const b = await step('create PassThrough b', call(pipeline, 'create', 'PassThrough'));

  // ElementConnected fires on the source once per media type connected:
  // without a mediaType that is AUDIO, VIDEO and DATA (reference §2.3).
  const connected = waitForEvents(a, 'ElementConnected', { count: 3 });
  const disconnected = waitForEvents(a, 'ElementDisconnected', { count: 1 });
  await step('round trip after subscribe', call(a, 'getName'));
  await step('connect a -> b', call(a, 'connect', b));
  const events = await step('wait for ElementConnected x3', connected.promise);
  for (const data of events) checkConnectionEvent(data, 'ElementConnected', a, b);
  results.elementConnected = events.map((d) => d.mediaType).sort();
  checkEqual(results.elementConnected, MEDIA_TYPES, 'ElementConnected media types');

  await step('disconnect a -> b VIDEO', call(a, 'disconnect', b, 'VIDEO'));
  const [gone] = await step('wait for ElementDisconnected', disconnected.promise);
  checkConnectionEvent(gone, 'ElementDisconnected', a, b);
  checkEqual(gone.mediaType, 'VIDEO', 'ElementDisconnected.mediaType');
  results.elementDisconnected = gone.mediaType;

  // ObjectCreated must have been raised for the pipeline and both elements.
  const wanted = [pipeline.id, a.id, b.id].sort();
  const seen = () => created.map((d) => d.object).filter((id) => wanted.includes(id)).sort();
  await step('wait for ObjectCreated', until(() => seen().length === wanted.length));
  checkEqual(seen(), wanted, 'ObjectCreated objects');
  for (const data of created) checkCommon(data, 'manager_ServerManager', 'ObjectCreated');
  results.objectCreated = seen().length;

  // ObjectDestroyed on release, reported with the id as objectId.
  const destroyed = waitForEvents(manager, 'ObjectDestroyed', {
    filter: (d) => d.objectId === pipeline.id,
  });
  await step('round trip after subscribe', call(manager, 'getName'));
  await step('pipeline.release', call(pipeline, 'release'));
  const [end] = await step('wait for ObjectDestroyed', destroyed.promise);
  checkCommon(end, 'manager_ServerManager', 'ObjectDestroyed');
  results.objectDestroyed = end.objectId;

  client.close();
  return results;
});
