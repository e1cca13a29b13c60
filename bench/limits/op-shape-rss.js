'use strict';
// Issue 14, item 12 "memory amplification by op shape": the server's RSS
// growth for N ops of [1,"a",1,"a",…] (2 × PAIRS components each).
//   ATELIER_TEST_REDIS_PORT=6412 node bench/limits/op-shape-rss.js [N] [PAIRS] [BINARY]
// PAIRS 10900 is the adversarial test's op (~21,800 components, ~65 KB).
const { Harness, rssKb } = require('../../tests/integration/harness');

(async () => {
  const N = Number(process.argv[2] || 300);
  const PAIRS = Number(process.argv[3] || 10900);
  if (process.argv[4]) process.env.ATELIER_BIN = process.argv[4];
  const h = await Harness.start();
  try {
    const w = await h.server.createWorkshop({ title: 'Mem', text: 'x'.repeat(PAIRS + 10) });
    const c = h.client({ workshop: w.id, name: 'A', organisation: 'B' });
    await c.start();
    const pid = h.server.proc.pid;
    const before = rssKb(pid);
    const op = Array.from({ length: PAIRS }, () => [1, 'a']).flat();
    let acked = 0;
    const refused = {};
    for (let i = 0; i < N; i++) {
      const r = await c.ask({ type: 'op', rev: acked, op }, 20000);
      if (r.type === 'ack') acked++;
      else refused[r.code] = (refused[r.code] || 0) + 1;
    }
    const after = rssKb(pid);
    console.log(JSON.stringify({ N, PAIRS, bytes: JSON.stringify(op).length, acked, refused, rssBeforeKB: before,
      rssAfterKB: after, growthMB: ((after - before) / 1024).toFixed(1) }));
  } finally { await h.close(); }
})().catch((e) => { console.error(e); process.exit(1); });
