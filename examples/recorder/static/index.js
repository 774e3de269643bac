'use strict';

let send = null;
const $ = (id) => document.getElementById(id);

function buttons(active, canPlay) {
  $('start').disabled = active;
  $('play').disabled = active || !canPlay;
  $('stop').disabled = !active;
}

async function begin(kind, messageId, options) {
  buttons(true, false);
  setState(messageId === 'start' ? 'starting' : 'loading');
  try {
    const peer = await createPeer(kind, options, send);
    const sdpOffer = await generateOffer(peer);
    send(messageId, { sdpOffer });
  } catch (error) {
    showError(String(error));
    stop();
  }
}

function record() {
  begin('Sendrecv', 'start', { localVideo: $('videoInput'), remoteVideo: $('videoOutput') });
}

function play() {
  begin('Recvonly', 'play', { remoteVideo: $('videoOutput') });
}

function end(state) {
  disposePeer();
  buttons(false, window.demo.recording !== undefined);
  setState(state);
}

function stop() {
  const wasRecording = window.demo.state === 'recording' || window.demo.state === 'started';
  send('stop');
  disposePeer();
  buttons(true, false);
  $('stop').disabled = true;
  setState(wasRecording ? 'saving' : 'idle');
  if (!wasRecording) end('idle');
}

(async () => {
  send = await openSignal({
    startResponse: async (message) => {
      await processAnswer(window.demo.peer, message.sdpAnswer);
      setState('started');
    },
    recording: () => setState('recording'),
    stopped: (message) => {
      window.demo.recording = message.uri;
      $('uri').textContent = message.uri;
      end('recorded');
    },
    playResponse: async (message) => {
      await processAnswer(window.demo.peer, message.sdpAnswer);
      setState('playing');
    },
    playEnd: () => { send('stop'); end('played'); },
    iceCandidate: (message) => addRemoteCandidate(window.demo.peer, message.candidate),
    error: (message) => { showError(message.message); if (window.demo.peer) end('idle'); },
  });
  $('start').onclick = record;
  $('stop').onclick = stop;
  $('play').onclick = play;
  setState('ready');
})().catch((error) => showError(String(error)));
