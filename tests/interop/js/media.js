'use strict';
// PlayerEndpoint -> RecorderEndpoint through the official kurento-client: create with
// constructor params, getVideoInfo (a struct), play/record/stopAndWait, and the
// EndOfStream, Recording, Stopped and UriEndpointStateChanged events.
// Usage: node media.js ws://127.0.0.1:8888/kurento CLIP_URI RECORDING_URI
const {
  call, check, checkEqual, connect, run, step, waitForEvents,
} = require('./lib/harness');

run('media', async (url) => {
  const [clip, recording] = process.argv.slice(3);
  const { client } = await step('connect', connect(url));
  const results = {};
  const pipeline = await step('create MediaPipeline', call(client, 'create', 'MediaPipeline'));
  const player = await step('create PlayerEndpoint',
    call(pipeline, 'create', 'PlayerEndpoint', { uri: clip }));
  const recorder = await step('create RecorderEndpoint',
    call(pipeline, 'create', 'RecorderEndpoint', { uri: recording, mediaProfile: 'WEBM' }));
  checkEqual(await step('getUri', call(recorder, 'getUri')), recording, 'recorder uri');

  const ended = waitForEvents(player, 'EndOfStream');
  const recordingStarted = waitForEvents(recorder, 'Recording');
  const stopped = waitForEvents(recorder, 'Stopped');
  const playerStates = waitForEvents(player, 'UriEndpointStateChanged', { count: 2 });
  await step('round trip after subscribe', call(player, 'getName'));

  await step('connect player -> recorder', call(player, 'connect', recorder));
  await step('record', call(recorder, 'record'));
  await step('play', call(player, 'play'));
  const info = await step('getVideoInfo', call(player, 'getVideoInfo'));
  check(typeof info.isSeekable === 'boolean', `isSeekable ${JSON.stringify(info)}`);
  check(typeof info.duration === 'number', `duration ${JSON.stringify(info)}`);
  results.videoInfo = { isSeekable: info.isSeekable, duration: info.duration };
  checkEqual(await step('getState', call(player, 'getState')), 'START', 'player state');

  await step('wait for Recording', recordingStarted.promise);
  const [end] = await step('wait for EndOfStream', ended.promise, 15000);
  checkEqual(end.source, player.id, 'EndOfStream.source');
  results.playerStates = (await step('wait for STOP', playerStates.promise)).map((d) => d.state);

  await step('stopAndWait', call(recorder, 'stopAndWait'), 15000);
  await step('wait for Stopped', stopped.promise);
  results.recorderState = await step('recorder getState', call(recorder, 'getState'));
  await step('pipeline.release', call(pipeline, 'release'));
  results.released = true;
  return results;
});
