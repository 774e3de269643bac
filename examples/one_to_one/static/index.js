'use strict';

let send = null;
const $ = (id) => document.getElementById(id);

function videos() {
  return { localVideo: $('videoInput'), remoteVideo: $('videoOutput') };
}

function inCall(calling) {
  $('call').disabled = calling;
  $('stop').disabled = !calling;
}

async function call() {
  const to = $('peer').value;
  if (!to) return showError('enter the name to call');
  inCall(true);
  setState('calling');
  try {
    const peer = await createPeer('Sendrecv', videos(), send);
    const sdpOffer = await generateOffer(peer);
    send('call', { from: $('name').value, to, sdpOffer });
  } catch (error) {
    showError(String(error));
    hangUp();
  }
}

async function incomingCall(message) {
  const accept = $('autoAccept').checked || confirm('Accept the call from ' + message.from + '?');
  if (!accept) {
    send('incomingCallResponse', { from: message.from, callResponse: 'reject' });
    return;
  }
  inCall(true);
  setState('answering');
  try {
    const peer = await createPeer('Sendrecv', videos(), send);
    const sdpOffer = await generateOffer(peer);
    send('incomingCallResponse', { from: message.from, callResponse: 'accept', sdpOffer });
  } catch (error) {
    showError(String(error));
    hangUp();
  }
}

function endCall(state) {
  disposePeer();
  inCall(false);
  setState(state);
}

function hangUp() {
  send('stop');
  endCall('registered');
}

(async () => {
  send = await openSignal({
    registerResponse: (message) => {
      if (message.response === 'accepted') {
        setState('registered');
        $('register').disabled = true;
        $('call').disabled = false;
      } else {
        showError('registration rejected: ' + message.message);
      }
    },
    incomingCall,
    callResponse: async (message) => {
      if (message.response !== 'accepted') {
        showError('call rejected: ' + message.message);
        endCall('registered');
        return;
      }
      await processAnswer(window.demo.peer, message.sdpAnswer);
      setState('in call');
    },
    startCommunication: async (message) => {
      await processAnswer(window.demo.peer, message.sdpAnswer);
      setState('in call');
    },
    stopCommunication: () => endCall('registered'),
    error: (message) => {
      showError(message.message);
      if (window.demo.peer) endCall('registered');
    },
    iceCandidate: (message) => addRemoteCandidate(window.demo.peer, message.candidate),
  });
  $('register').onclick = () => send('register', { name: $('name').value });
  $('call').onclick = call;
  $('stop').onclick = hangUp;
  setState('ready');
})().catch((error) => showError(String(error)));
