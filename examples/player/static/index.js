'use strict';

let send = null;
const $ = (id) => document.getElementById(id);

function playing(active) {
  $('start').disabled = active;
  for (const id of ['pause', 'resume', 'stop', 'seek', 'getPosition']) $(id).disabled = !active;
}

async function start() {
  playing(true);
  setState('starting');
  try {
    const peer = await createPeer('Recvonly', { remoteVideo: $('videoOutput') }, send);
    const sdpOffer = await generateOffer(peer);
    send('start', { sdpOffer, videourl: $('videourl').value.trim() });
  } catch (error) {
    showError(String(error));
    stop();
  }
}

function end(state) {
  disposePeer();
  playing(false);
  setState(state);
}

function stop() {
  send('stop');
  end('idle');
}

(async () => {
  send = await openSignal({
    startResponse: async (message) => {
      await processAnswer(window.demo.peer, message.sdpAnswer);
      setState('playing');
    },
    videoInfo: (message) => {
      window.demo.videoInfo = message;
      $('isSeekable').textContent = String(message.isSeekable);
      $('duration').textContent = String(message.videoDuration);
    },
    position: (message) => {
      window.demo.position = message.position;
      $('position').textContent = String(message.position);
    },
    playEnd: () => { send('stop'); end('ended'); },
    iceCandidate: (message) => addRemoteCandidate(window.demo.peer, message.candidate),
    error: (message) => { showError(message.message); if (window.demo.peer) end('idle'); },
  });
  $('start').onclick = start;
  $('stop').onclick = stop;
  $('pause').onclick = () => { send('pause'); setState('paused'); };
  $('resume').onclick = () => { send('resume'); setState('playing'); };
  $('seek').onclick = () => send('doSeek', { position: Number($('seekPosition').value) });
  $('getPosition').onclick = () => send('getPosition');
  setState('ready');
})().catch((error) => showError(String(error)));
