'use strict';

let send = null;
const $ = (id) => document.getElementById(id);

function buttons(active) {
  $('start').disabled = active;
  $('stop').disabled = !active;
}

async function start() {
  buttons(true);
  setState('starting');
  try {
    const peer = await createPeer('Sendrecv', { localVideo: $('videoInput'), remoteVideo: $('videoOutput') }, send);
    send('start', { sdpOffer: await generateOffer(peer) });
  } catch (error) {
    showError(String(error));
    stop();
  }
}

function stop() {
  const wasStarted = window.demo.state === 'recording' || window.demo.state === 'started';
  send('stop');
  disposePeer();
  $('stop').disabled = true;
  setState(wasStarted ? 'saving' : 'idle');
  if (!wasStarted) buttons(false);
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
      buttons(false);
      setState('stopped');
    },
    iceCandidate: (message) => addRemoteCandidate(window.demo.peer, message.candidate),
    error: (message) => { showError(message.message); disposePeer(); buttons(false); setState('idle'); },
  });
  $('start').onclick = start;
  $('stop').onclick = stop;
  setState('ready');
})().catch((error) => showError(String(error)));
