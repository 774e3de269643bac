// Kurento's browser-only hello world: kurento-client (global kurentoClient) in the
// page creates a MediaPipeline and a WebRtcEndpoint connected to itself, and
// kurento-utils' WebRtcPeerSendrecv (global kurentoUtils) is the browser side.
// ICE candidates trickle both ways directly between the two.
//
// Query parameters:
//   ws_uri=ws://127.0.0.1:8888/kurento   media server (default: the launcher's, config.json)
//   turn=USER:PASS@HOST:PORT              relay through this TURN server: the page gets it as
//                                         its only ICE server with iceTransportPolicy 'relay'
//                                         and the endpoint gets it as turnUrl (setTurnUrl)
//   endpointTurn=0                        with turn: leave the endpoint without turnUrl
'use strict';

const params = new URLSearchParams(location.search);
let wsUri = params.get('ws_uri');
let client = null;
let pipeline = null;

// Calls obj.method(...args) in callback style: kurento-client's promise forms
// swallow server errors.
function call(obj, method, ...args) {
  return new Promise((resolve, reject) => {
    obj[method](...args, (error, value) => (error ? reject(error) : resolve(value)));
  });
}

function connectClient(uri) {
  return new Promise((resolve, reject) => {
    const c = kurentoClient(uri, { failAfter: 1 }, (error) => (error ? reject(error) : resolve(c)));
  });
}

// The page's RTCConfiguration: no ICE servers at all (kurento-utils would add public
// STUN servers otherwise), or only the TURN server of ?turn=, relay only.
function iceConfiguration() {
  const turn = params.get('turn');
  if (!turn) return { iceServers: [] };
  const m = /^([^:@]+):([^@]*)@([^@]+)$/.exec(turn);
  if (!m) throw new Error('turn: expected USER:PASS@HOST:PORT');
  return {
    iceServers: [{ urls: `turn:${m[3]}?transport=udp`, username: m[1], credential: m[2] }],
    iceTransportPolicy: 'relay',
  };
}

function createPeer() {
  return new Promise((resolve, reject) => {
    const peer = new kurentoUtils.WebRtcPeer.WebRtcPeerSendrecv({
      localVideo: document.getElementById('videoInput'),
      remoteVideo: document.getElementById('videoOutput'),
      configuration: iceConfiguration(),
    }, (error) => (error ? reject(error) : resolve(peer)));
    window.demo.peer = peer;
  });
}

async function start() {
  document.getElementById('start').disabled = true;
  document.getElementById('stop').disabled = false;
  try {
    setState('starting');
    const peer = await createPeer();
    const sdpOffer = await generateOffer(peer);
    client = await connectClient(wsUri);
    pipeline = await call(client, 'create', 'MediaPipeline');
    const endpoint = await call(pipeline, 'create', 'WebRtcEndpoint');
    const turn = params.get('turn');
    if (turn && params.get('endpointTurn') !== '0') await call(endpoint, 'setTurnUrl', turn);

    // Trickle ICE both ways, as the tutorials' setIceCandidateCallbacks did.
    peer.on('icecandidate', (candidate) => {
      if (!pipeline) return;
      const iceCandidate = kurentoClient.getComplexType('IceCandidate')(candidate);
      endpoint.addIceCandidate(iceCandidate, (error) => {
        if (error && pipeline) showError('endpoint.addIceCandidate: ' + error);
      });
    });
    window.demo.endpointCandidates = [];
    endpoint.on('IceCandidateFound', (event) => {
      window.demo.endpointCandidates.push(event.candidate.candidate);
      addRemoteCandidate(window.demo.peer, event.candidate);
    });

    await call(endpoint, 'connect', endpoint);
    const sdpAnswer = await call(endpoint, 'processOffer', sdpOffer);
    await processAnswer(peer, sdpAnswer);
    await call(endpoint, 'gatherCandidates');
    setState('started');
  } catch (error) {
    showError(String(error && error.message ? error.message : error));
    await stop();
  }
}

async function stop() {
  disposePeer();
  const p = pipeline;
  const c = client;
  pipeline = null;
  client = null;
  try {
    if (p) await call(p, 'release');
  } catch (error) {
    showError('release: ' + error);
  }
  if (c) c.close();
  setState('idle');
  document.getElementById('start').disabled = false;
  document.getElementById('stop').disabled = true;
}

(async () => {
  if (!wsUri) wsUri = (await (await fetch('config.json')).json()).ws_uri;
  document.getElementById('wsUri').textContent = wsUri;
  document.getElementById('start').onclick = start;
  document.getElementById('stop').onclick = stop;
  setState('ready');
})().catch((error) => showError(String(error)));
