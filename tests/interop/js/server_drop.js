'use strict';
// Reconnection when the SERVER drops the socket (reference §4.3 transcript A):
// the script creates objects and a subscription, prints DROP-NOW on stderr and
// waits; the test closes every server-side socket; reconnect-ws opens a new one
// and sends `connect {sessionId}`; objects and subscriptions must survive.
// Usage: node server_drop.js ws://127.0.0.1:8888/kurento
const {
  call, check, checkEqual, connect, run, step, waitForEvents,
} = require('./lib/harness');

run('server_drop', async (url) => {
  const { client } = await step('connect', connect(url));
  const pipeline = await step('create MediaPipeline', call(client, 'create', 'MediaPipeline'));
  await step('setName', call(pipeline, 'setName', 'kept'));
  const sessionBefore = client.sessionId;
  const manager = await step('getServerManager', call(client, 'getServerManager'));
  const created = waitForEvents(manager, 'ObjectCreated', {
    filter: (d) => typeof d.object === 'string' && d.object.startsWith(`${pipeline.id}/`),
  });
  await step('round trip after subscribe', call(manager, 'getName'));

  const reconnected = new Promise((resolve) => client.once('reconnected', resolve));
  process.stderr.write('DROP-NOW\n');
  const sameSession = await step('wait for reconnected', reconnected, 20000);
  checkEqual(sameSession, true, "'reconnected' argument (same session)");
  checkEqual(client.sessionId, sessionBefore, 'session id after reconnect');
  checkEqual(await step('getName after reconnect', call(pipeline, 'getName')), 'kept',
    'pipeline name after reconnect');
  const element = await step('create PassThrough', call(pipeline, 'create', 'PassThrough'));
  const [event] = await step('ObjectCreated on the new socket', created.promise);
  checkEqual(event.object, element.id, 'ObjectCreated.object');
  await step('release', call(pipeline, 'release'));
  check(true, '');
  client.close();
  return { sameSession, nameAfterReconnect: 'kept', eventAfterReconnect: true };
});
