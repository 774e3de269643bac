'use strict';
// ZBarFilter and FaceOverlayFilter through the official kurento-client, unmodified: both
// are classes it already has (kurento-client-filters), so nothing is registered here.
// A QR clip played into a ZBarFilter raises CodeFound; a face clip played through a
// FaceOverlayFilter with a hat is recorded; an image the server will not load (here
// file:///etc/hostname, outside its media roots) is refused with
// Kurento's 40600.
// Usage: node recognition.js ws://127.0.0.1:8888/kurento QR_URI FACE_URI HAT_URI RECORDING_URI
const {
  call, check, connect, expectError, run, sleep, step, waitForEvents,
} = require('../../interop/js/lib/harness');

// Kurento's magic mirror tutorial's placement: a hat above the face.
const HAT = [-0.35, -1.2, 1.6, 1.6];

run('recognition', async (url) => {
  const [qrClip, faceClip, hat, recording] = process.argv.slice(3);
  check(recording, 'usage: recognition.js URL QR_URI FACE_URI HAT_URI RECORDING_URI');
  const { client } = await step('connect', connect(url));
  const results = {};

  // 1. ZBarFilter: CodeFound for each code in the clip.
  const codesPipeline = await step('create MediaPipeline (codes)',
    call(client, 'create', 'MediaPipeline'));
  const qrPlayer = await step('create PlayerEndpoint (codes)',
    call(codesPipeline, 'create', 'PlayerEndpoint', { uri: qrClip }));
  const zbar = await step('create ZBarFilter', call(codesPipeline, 'create', 'ZBarFilter'));
  const codes = [];
  let bothSeen;
  const seenBoth = new Promise((resolve) => { bothSeen = resolve; });
  zbar.on('CodeFound', (event) => {
    codes.push({ codeType: event.codeType, value: event.value, source: event.source });
    if (new Set(codes.map((c) => c.value)).size >= 2) bothSeen();
  });
  const qrEnd = waitForEvents(qrPlayer, 'EndOfStream');
  await step('round trip after subscribe', call(zbar, 'getName'));
  await step('player -> zbar', call(qrPlayer, 'connect', zbar));
  await step('play (codes)', call(qrPlayer, 'play'));
  // Both codes, or the clip's end (plus a moment for the last events), within 20 s.
  await step('wait for CodeFound', Promise.race([seenBoth, qrEnd.promise.then(() => sleep(500))]),
    20000);
  results.codes = codes.map(({ codeType, value }) => ({ codeType, value }));
  results.codeSourcesOk = codes.every((c) => c.source === zbar.id);
  await step('release (codes)', call(codesPipeline, 'release'));

  // 2. FaceOverlayFilter: a bad image is refused, the hat is drawn into a recording.
  const facePipeline = await step('create MediaPipeline (face)',
    call(client, 'create', 'MediaPipeline'));
  const facePlayer = await step('create PlayerEndpoint (face)',
    call(facePipeline, 'create', 'PlayerEndpoint', { uri: faceClip }));
  const face = await step('create FaceOverlayFilter',
    call(facePipeline, 'create', 'FaceOverlayFilter'));
  const bad = await expectError('setOverlayedImage (/etc/hostname)',
    call(face, 'setOverlayedImage', 'file:///etc/hostname', ...HAT), 40600);
  results.badImage = { code: bad.code, message: bad.message };
  await step('setOverlayedImage (hat)', call(face, 'setOverlayedImage', hat, ...HAT));
  const recorder = await step('create RecorderEndpoint',
    call(facePipeline, 'create', 'RecorderEndpoint',
      { uri: recording, mediaProfile: 'WEBM_VIDEO_ONLY' }));
  const faceEnd = waitForEvents(facePlayer, 'EndOfStream');
  await step('round trip after subscribe (face)', call(facePlayer, 'getUri'));
  await step('player -> face', call(facePlayer, 'connect', face));
  await step('face -> recorder', call(face, 'connect', recorder));
  await step('record', call(recorder, 'record'));
  await step('play (face)', call(facePlayer, 'play'));
  // The clip lasts 4 s: its end, or give up waiting after 8 s and record what came.
  results.faceEndOfStream = await step('wait for EndOfStream (face)',
    Promise.race([faceEnd.promise.then(() => true), sleep(8000).then(() => false)]), 9000);
  await step('stopAndWait', call(recorder, 'stopAndWait'), 10000);
  await step('release (face)', call(facePipeline, 'release'));
  return results;
}, { timeoutMs: 50000 });
