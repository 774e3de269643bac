'use strict';
// Kurento error codes as the official kurento-client surfaces them: the
// JSON-RPC error members (code, data.type) are copied onto the exception, and
// 40101 becomes a ReferenceError (reference §1.7).
// Usage: node errors.js ws://127.0.0.1:8888/kurento
const {
  call, check, checkEqual, connect, expectError, run, step,
} = require('./lib/harness');

function summary(error) {
  return {
    code: error.code,
    type: error.data && error.data.type,
    message: error.message,
    class: error.constructor.name,
  };
}

run('errors', async (url) => {
  const results = {};

  // In strict mode (the default) the client refuses unknown types itself, so
  // a non-strict client is needed to get the request to the server.
  const { client: loose } = await step('connect non-strict', connect(url, { strict: false }));
  const unknown = await expectError('create unknown type',
    call(loose, 'create', 'NoSuchElementType'), 40108);
  checkEqual(unknown.data && unknown.data.type, 'MEDIA_OBJECT_NOT_AVAILABLE', '40108 data.type');
  results.unknownType = summary(unknown);
  loose.close();

  const { client } = await step('connect', connect(url));
  const pipeline = await step('create MediaPipeline', call(client, 'create', 'MediaPipeline'));
  const element = await step('create PassThrough', call(pipeline, 'create', 'PassThrough'));

  // An operation the class does not have, on a live object: 40008 (KMS
  // never emits 40105; reference §1.6 "Unknown operation").
  const noMethod = await expectError('invoke unknown operation',
    call(element, '_invoke', undefined, 'frobnicate'), 40008);
  results.unknownOperation = summary(noMethod);

  // A missing tag: 40110.
  const noTag = await expectError('getTag of a missing key', call(element, 'getTag', 'nope'), 40110);
  results.missingTag = summary(noTag);

  await step('pipeline.release', call(pipeline, 'release'));

  // The released pipeline took its children with it: any invoke on them,
  // existing method or not, fails with 40101 before the method is looked up.
  const released = await expectError('getName on released element',
    call(element, 'getName'), 40101);
  check(released instanceof ReferenceError, `40101 should map to ReferenceError, got ${released.constructor.name}`);
  checkEqual(released.data && released.data.type, 'MEDIA_OBJECT_NOT_FOUND', '40101 data.type');
  results.releasedObject = summary(released);
  const releasedMissing = await expectError('unknown operation on released pipeline',
    call(pipeline, '_invoke', undefined, 'frobnicate'), 40101);
  results.releasedObjectMissingMethod = summary(releasedMissing);

  client.close();
  return results;
});
