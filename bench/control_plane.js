'use strict';
// Control-plane benchmark with the official kurento-client 7.3.0 (Node).
// Usage: node bench/control_plane.js ws://127.0.0.1:8888/kurento [sequences] [invokes]
// Prints one JSON line: sequence latency p50/p99 (create pipeline + 2 PassThrough +
// connect + release, one after another) and simple invokes/s (getName, 32 in flight).
const path = require('path');
const modules = path.join(__dirname, '..', 'tests', 'interop', 'js', 'node_modules');
console.log = console.error.bind(console);
delete require('domain').Domain; // see shared reference §4.1 (Node >= 20)
const kurentoClient = require(path.join(modules, 'kurento-client'));

const url = process.argv[2];
const sequences = Number(process.argv[3] || 300);
const invokes = Number(process.argv[4] || 5000);

function cb(fn) {
  return new Promise((resolve, reject) => fn((err, value) => (err ? reject(err) : resolve(value))));
}

function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

async function main() {
  const client = await kurentoClient(url, { strict: true });
  const times = [];
  const start = process.hrtime.bigint();
  for (let i = 0; i < sequences; i++) {
    const t0 = process.hrtime.bigint();
    const pipeline = await cb((done) => client.create('MediaPipeline', done));
    const a = await cb((done) => pipeline.create('PassThrough', done));
    const b = await cb((done) => pipeline.create('PassThrough', done));
    await cb((done) => a.connect(b, done));
    await cb((done) => pipeline.release(done));
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  const seqSeconds = Number(process.hrtime.bigint() - start) / 1e9;
  times.sort((x, y) => x - y);

  const pipeline = await cb((done) => client.create('MediaPipeline', done));
  let sent = 0;
  const t1 = process.hrtime.bigint();
  async function worker() {
    while (sent < invokes) {
      sent++;
      await cb((done) => pipeline.getName(done));
    }
  }
  await Promise.all(Array.from({ length: 32 }, worker));
  const invokeSeconds = Number(process.hrtime.bigint() - t1) / 1e9;
  await cb((done) => pipeline.release(done));
  process.stdout.write(JSON.stringify({
    client: 'kurento-client 7.3.0 (Node)',
    sequences,
    sequence_p50_ms: +percentile(times, 50).toFixed(2),
    sequence_p99_ms: +percentile(times, 99).toFixed(2),
    sequences_per_s: +(sequences / seqSeconds).toFixed(1),
    invokes,
    invokes_per_s: +(invokes / invokeSeconds).toFixed(0),
  }) + '\n');
  client.close();
  process.exit(0);
}

main().catch((err) => { console.error(err); process.exit(1); });
setTimeout(() => { console.error('timeout'); process.exit(1); }, 300000).unref();
