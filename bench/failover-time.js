#!/usr/bin/env node
'use strict';
// bench/failover-time.js: how long the service stops acknowledging edits
// when the Redis primary dies (issue 15, item 7), and, under --replicas 0,
// how many acknowledged edits the failover loses.
//
// Starts the failover topology (tests/lib/topology.js: a primary, two
// replicas, three Sentinels with down-after-milliseconds 1000, two server
// processes on sentinel:// with --replicas N, haproxy), ten people typing
// through haproxy in one workshop (a marker every 50 ms each), then for each
// trial: kill -9 the current primary, and measure the time from the death to
// the first acknowledgement of an op sent (or sent again) after it; start the
// dead Redis again (Sentinel makes it a replica of the new primary) and wait
// until both replicas are in sync before the next trial. At the end, every
// acknowledged marker is looked for in the final text: the ones missing are
// the acknowledged edits the failovers lost.
//
//   node bench/failover-time.js [--trials 10] [--replicas 1]
//
// The server binary is ATELIER_BIN (default build/atelier); the web client is
// not needed. Prints one line per trial and a summary (min / median / max).

const { Harness, LoadRooms, sleep, waitUntil, countOccurrences } = require('../tests/integration/harness');

function arg(name, dflt) {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
}
const TRIALS = arg('trials', 10);
const REPLICAS = arg('replicas', 1);

const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor((s.length - 1) / 2)]; };

async function main() {
  const h = await Harness.startTopology({
    replicas: 2, atelierArgs: ['--replicas', String(REPLICAS)],
  });
  const topo = h.topology;
  try {
    const load = await LoadRooms.start(h, { workshops: 1, perWorkshop: 10, seed: 7, title: 'Bascule' });
    let typing = true;
    const typer = (async () => { while (typing) await load.type(20); })();
    let primary = await topo.settledPrimary();
    const times = [];
    for (let trial = 1; trial <= TRIALS; trial++) {
      await sleep(2000); // typing on a settled topology
      const killed = Date.now();
      await primary.stop('SIGKILL');
      const back = await waitUntil(() => load.firstAckAfter(killed), 60000, 'an ack after the death');
      times.push(back - killed);
      await primary.startProcess(); // back as a replica of the new one (Sentinel converts it)
      const next = await topo.settledPrimary();
      console.log(`trial ${trial}: primary ${primary.port} killed, ${next.port} primary after; first ack ${back - killed} ms after the death`);
      primary = next;
    }
    typing = false;
    await typer;
    const { lost, acked } = await load.check(primary, { lossless: false, timeoutMs: 60000 });
    const markers = load.people.reduce((n, c) => n + (load.typed.get(c) || 0), 0);
    const present = load.people.reduce((n, c) => n + [...c.opMeta.values()].flat().filter((m) => countOccurrences(load.rooms[0].people[0].text, m) === 1).length, 0);
    console.log(`--replicas ${REPLICAS}, ${TRIALS} trials: first ack after the death min ${Math.min(...times)} ms, `
      + `median ${median(times)} ms, max ${Math.max(...times)} ms`);
    console.log(`acknowledged ops lost: ${lost} of ${acked}; markers typed ${markers}, in the final text ${present}; `
      + `resyncs ${load.count('resyncs')}`);
  } finally {
    await h.close();
  }
}

main().catch((e) => { console.error(e); process.exit(1); });
