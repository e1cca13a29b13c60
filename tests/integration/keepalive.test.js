'use strict';
// Keepalive (net/net_keepalive.c): a connection silent for --ping-secs is
// pinged; one that answers stays however long it is idle, one that does not
// answer is dropped after twice --ping-secs, and the others hear it left.

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { Harness, waitUntil } = require('./harness');

describe('keepalive', { timeout: 60000 }, () => {
  let h;
  before(async () => { h = await Harness.start({ serverArgs: ['--ping-secs', '1'] }); }, { timeout: 30000 });
  after(async () => { if (h) await h.close(); }, { timeout: 30000 });

  test('idle clients that answer pings stay; a client that stopped reading is dropped', { timeout: 30000 }, async () => {
    const w = await h.server.createWorkshop({ title: 'Veille' });
    const idle = h.client({ workshop: w.id, name: 'Calme', organisation: 'Ville' });
    const gone = h.client({ workshop: w.id, name: 'Parti', organisation: 'Banque' });
    await idle.start();
    await gone.start();
    let pings = 0;
    idle.ws.on('ping', () => { pings++; }); // ws answers each with a pong by itself
    const goneId = gone.participant.id;
    const departed = idle.waitFor((m) => m.type === 'departed' && m.participant === goneId, 8000, 'the silent client to be dropped');
    const t0 = Date.now();
    gone.freeze(); // reads nothing, so answers no ping
    await departed;
    const after = (Date.now() - t0) / 1000;
    // Dropped once silent for more than 2 s, seen by a sweep once a second.
    assert.ok(after >= 1.5 && after <= 5, `dropped after ${after.toFixed(1)} s`);
    // Pinged once silent for more than 1 s: about every 2 s.
    await waitUntil(() => pings >= 3, 9000, `3 pings (got ${pings})`);
    assert.ok(idle.connected, 'the idle client that answers pings was dropped');
    // And it is still served.
    idle.submit(['toujours là']);
    await idle.waitFor((m) => m.type === 'ack', 3000, 'ack');
    h.assertNoProblems();
  });
});
