'use strict';

let send = null;

async function start() {
  document.getElementById('start').disabled = true;
  document.getElementById('stop').disabled = false;
  try {
    setState('starting');
    const peer = await createPeer('Sendrecv', {
      localVideo: document.getElementById('videoInput'),
      remoteVideo: document.getElementById('videoOutput'),
    }, send);
    const sdpOffer = await generateOffer(peer);
    send('start', { sdpOffer });
  } catch (error) {
    showError(String(error));
    stop();
  }
}

function stop() {
  if (send) send('stop');
  disposePeer();
  setState('idle');
  document.getElementById('start').disabled = false;
  document.getElementById('stop').disabled = true;
}

(async () => {
  send = await openSignal({
    startResponse: async (message) => {
      await processAnswer(window.demo.peer, message.sdpAnswer);
      setState('started');
    },
    iceCandidate: (message) => addRemoteCandidate(window.demo.peer, message.candidate),
    error: (message) => { showError(message.message); if (window.demo.peer) stop(); },
  });
  document.getElementById('start').onclick = start;
  document.getElementById('stop').onclick = stop;
  setState('ready');
})().catch((error) => showError(String(error)));
