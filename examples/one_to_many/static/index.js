'use strict';

let send = null;
const $ = (id) => document.getElementById(id);

function busy(active) {
  $('presenter').disabled = active;
  $('viewer').disabled = active;
  $('stop').disabled = !active;
}

async function join(role) {
  busy(true);
  setState('starting ' + role);
  $('role').textContent = role === 'presenter' ? 'Your camera, as sent' : 'The presenter';
  try {
    const peer = role === 'presenter'
      ? await createPeer('Sendonly', { localVideo: $('video') }, send)
      : await createPeer('Recvonly', { remoteVideo: $('video') }, send);
    const sdpOffer = await generateOffer(peer);
    send(role, { sdpOffer });
  } catch (error) {
    showError(String(error));
    stop();
  }
}

function end(state) {
  disposePeer();
  busy(false);
  setState(state);
}

function stop() {
  send('stop');
  end('ready');
}

async function response(role, message) {
  if (message.response !== 'accepted') {
    showError(role + ' rejected: ' + message.message);
    end('ready');
    return;
  }
  await processAnswer(window.demo.peer, message.sdpAnswer);
  setState(role === 'presenter' ? 'presenting' : 'viewing');
}

(async () => {
  send = await openSignal({
    presenterResponse: (message) => response('presenter', message),
    viewerResponse: (message) => response('viewer', message),
    stopCommunication: () => end('ended'),
    error: (message) => {
      showError(message.message);
      if (window.demo.peer) end('ready');
    },
    iceCandidate: (message) => addRemoteCandidate(window.demo.peer, message.candidate),
  });
  $('presenter').onclick = () => join('presenter');
  $('viewer').onclick = () => join('viewer');
  $('stop').onclick = stop;
  setState('ready');
})().catch((error) => showError(String(error)));
