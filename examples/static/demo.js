// Shared by the demo pages: the app's signalling socket and kurento-utils peers.
// State for people (the #status / #error elements) and for the browser tests
// (window.demo) is kept in one place.
'use strict';

window.demo = { state: 'idle', errors: [], serverErrors: [], received: [], peer: null };

function setState(state) {
  window.demo.state = state;
  const el = document.getElementById('status');
  if (el) el.textContent = state;
}

function showError(message) {
  window.demo.errors.push(message);
  const el = document.getElementById('error');
  if (el) el.textContent = message;
  console.error(message);
}

// Opens the app's WebSocket (ws://<this host>/<app>/ws) and dispatches messages
// to handlers[message.id]; resolves once open, with a send(id, fields) function.
function openSignal(handlers) {
  const url = new URL('ws', location.href);
  url.protocol = location.protocol === 'https:' ? 'wss:' : 'ws:';
  const ws = new WebSocket(url);
  ws.onmessage = (event) => {
    const message = JSON.parse(event.data);
    window.demo.received.push(message.id);
    if (message.id === 'error') window.demo.serverErrors.push(message);
    const handler = handlers[message.id];
    if (handler) handler(message);
    else if (message.id === 'error') showError(message.message);
    else showError('unexpected message ' + message.id);
  };
  ws.onclose = () => setState('disconnected');
  const send = (id, fields) => ws.send(JSON.stringify(Object.assign({ id }, fields || {})));
  return new Promise((resolve, reject) => {
    ws.onopen = () => resolve(send);
    ws.onerror = () => reject(new Error('cannot open ' + url));
  });
}

// A kurento-utils WebRtcPeer (kind: 'Sendrecv', 'Sendonly' or 'Recvonly') whose
// local candidates go to the app as onIceCandidate. iceServers is empty on
// purpose: kurento-utils would otherwise add public STUN servers (freeice), and
// these demos keep every packet on this machine.
function createPeer(kind, options, send) {
  return new Promise((resolve, reject) => {
    const peer = new kurentoUtils.WebRtcPeer['WebRtcPeer' + kind](Object.assign({
      configuration: { iceServers: [] },
      onicecandidate: (candidate) => send('onIceCandidate', { candidate }),
    }, options), (error) => (error ? reject(error) : resolve(peer)));
    window.demo.peer = peer;
  });
}

function generateOffer(peer) {
  return new Promise((resolve, reject) => {
    peer.generateOffer((error, sdpOffer) => (error ? reject(error) : resolve(sdpOffer)));
  });
}

function processAnswer(peer, sdpAnswer) {
  return new Promise((resolve, reject) => {
    peer.processAnswer(sdpAnswer, (error) => (error ? reject(error) : resolve()));
  });
}

function addRemoteCandidate(peer, candidate) {
  if (!peer) return;
  peer.addIceCandidate(candidate, (error) => { if (error) showError('addIceCandidate: ' + error); });
}

function disposePeer() {
  if (window.demo.peer) {
    window.demo.peer.dispose();
    window.demo.peer = null;
  }
}
