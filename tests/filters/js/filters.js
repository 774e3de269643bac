'use strict';
// Filters through the official kurento-client: the Python filters of module kurentopy
// created by name (the JS client has no class for them), their events, GStreamerFilter
// with Kurento's 40001 for a bad command.
// Usage: node filters.js ws://127.0.0.1:8888/kurento CLIP_URI
const {
  call, check, checkEqual, connect, expectError, run, step, waitForEvents,
} = require('../../interop/js/lib/harness');
// The same kurento-client the harness uses (one module instance, one class register).
const kurentoClient = require('../../interop/js/node_modules/kurento-client');

// What a JS application adds to use kurento-py's own filters: a class per name
// (strict clients refuse unknown types); they are Filters, so connect() accepts them.
function registerFilter(name, events) {
  const Filter = kurentoClient.register.abstracts['kurento.Filter'];
  function PythonFilter() { PythonFilter.super_.call(this); }
  require('util').inherits(PythonFilter, Filter);
  PythonFilter.constructorParams = {
    mediaPipeline: { type: 'kurento.MediaPipeline', required: true },
  };
  PythonFilter.events = Filter.events.concat(events);
  kurentoClient.register(name, PythonFilter);
}
registerFilter('SepiaFilter', []);
registerFilter('MotionDetectorFilter', ['MotionDetected']);

run('filters', async (url) => {
  const [clip] = process.argv.slice(3);
  const { client } = await step('connect', connect(url));
  const results = {};
  const pipeline = await step('create MediaPipeline', call(client, 'create', 'MediaPipeline'));
  const player = await step('create PlayerEndpoint',
    call(pipeline, 'create', 'PlayerEndpoint', { uri: clip }));
  const sepia = await step('create SepiaFilter', call(pipeline, 'create', 'SepiaFilter'));
  const motion = await step('create MotionDetectorFilter',
    call(pipeline, 'create', 'MotionDetectorFilter'));
  const flip = await step('create GStreamerFilter',
    call(pipeline, 'create', 'GStreamerFilter', { command: 'videoflip method=horizontal-flip' }));
  checkEqual(await step('getCommand', call(flip, 'getCommand')),
    'videoflip method=horizontal-flip', 'command');
  const bad = await expectError('bad command',
    call(pipeline, 'create', 'GStreamerFilter', { command: 'videoflip ! videobalance' }), 40001);
  results.badCommand = bad.message;

  const motions = waitForEvents(motion, 'MotionDetected');
  const transcoding = waitForEvents(sepia, 'MediaTranscodingStateChanged');
  await step('round trip after subscribe', call(motion, 'getName'));
  await step('player -> sepia', call(player, 'connect', sepia));
  await step('sepia -> flip', call(sepia, 'connect', flip));
  await step('flip -> motion', call(flip, 'connect', motion));
  await step('play', call(player, 'play'));
  const [moved] = await step('wait for MotionDetected', motions.promise, 10000);
  check(moved.ratio > 0 && moved.ratio <= 1, `ratio ${moved.ratio}`);
  checkEqual(moved.source, motion.id, 'MotionDetected.source');
  const [state] = await step('wait for MediaTranscodingStateChanged', transcoding.promise);
  results.transcoding = [state.mediaType, state.state];
  results.motionRatio = moved.ratio;
  results.ids = [sepia.id, motion.id];
  await step('release', call(pipeline, 'release'));
  return results;
});
