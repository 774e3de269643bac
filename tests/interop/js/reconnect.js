'use strict';
// Socket loss and session resume through the official kurento-client: the
// script kills its own WebSocket; reconnect-ws opens a new one and the client
// sends `connect {sessionId}`; the session and its objects and subscriptions
// must have survived (reference §1.3 "Reconnection", §4.3).
// Usage: node reconnect.js ws://127.0.0.1:8888/kurento
const {
  call, check, checkEqual, connect, run, step, waitForEvents,
} = require('./lib/harness');

/**
 * Drops the client's current WebSocket without a closing handshake, as a
 * network failure would. kurento-client keeps its reconnect-ws emitter in the
 * (non-enumerable) `_re` property; reconnect-core keeps the current
 * websocket-stream in `_connection`, whose `socket` is the `ws` WebSocket.
 */
function dropSocket(client) {
  const re = client._re;
  check(re && re._connection && re._connection.socket,
    'cannot reach the WebSocket (client._re._connection.socket)');
  const socket = re._connection.socket;
  if (typeof socket.terminate === 'function') socket.terminate();
  else socket.close();
  return socket;
}

run('reconnect', async (url) => {
  const { client } = await step('connect', connect(url));
  const results = {};

  const pipeline = await step('create MediaPipeline', call(client, 'create', 'MediaPipeline'));
  await step('setName', call(pipeline, 'setName', 'survivor'));
  const sessionBefore = client.sessionId;
  check(typeof sessionBefore === 'string' && sessionBefore.length > 0, 'no session id');

  // A subscription made before the drop must keep delivering afterwards.
  const manager = await step('getServerManager', call(client, 'getServerManager'));
  const created = waitForEvents(manager, 'ObjectCreated', {
    filter: (d) => typeof d.object === 'string' && d.object.startsWith(`${pipeline.id}/`),
  });
  await step('round trip after subscribe', call(manager, 'getName'));

  const reconnected = new Promise((resolve) => client.once('reconnected', resolve));
  const oldSocket = dropSocket(client);
  const sameSession = await step('wait for reconnected', reconnected, 15000);
  check(client._re._connection.socket !== oldSocket, 'the client did not open a new socket');
  checkEqual(sameSession, true, "'reconnected' argument (same session)");
  checkEqual(client.sessionId, sessionBefore, 'session id after reconnect');
  results.sameSession = sameSession;

  // The pipeline made before the drop is still there.
  checkEqual(await step('getName after reconnect', call(pipeline, 'getName')), 'survivor',
    'pipeline name after reconnect');
  results.nameAfterReconnect = 'survivor';

  // Events follow the session to the new socket.
  const element = await step('create PassThrough', call(pipeline, 'create', 'PassThrough'));
  const [event] = await step('wait for ObjectCreated on the new socket', created.promise);
  checkEqual(event.object, element.id, 'ObjectCreated.object');
  results.eventAfterReconnect = true;

  await step('pipeline.release', call(pipeline, 'release'));
  const pipelines = await step('getPipelines', call(manager, 'getPipelines'));
  check(!pipelines.map((p) => p.id).includes(pipeline.id), 'released pipeline still listed');
  results.released = true;

  client.close();
  return results;
});
