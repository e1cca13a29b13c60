'use strict';
// Item 12 "rebase cost": CPU the server spends on 100 late ops (rev 0) over 850 ops of 1024 components,
// and the unrelated workshop's ack latency meanwhile (reported, not asserted).
//   ATELIER_TEST_REDIS_PORT=6412 node bench/limits/late-ops-cpu.js BINARY
const { Harness } = require('../../tests/integration/harness');
const fs = require('fs');
const cpuMs = (pid) => { const f = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' '); return (Number(f[11]) + Number(f[12])) * 10; };
(async () => {
  process.env.ATELIER_BIN = process.argv[2];
  const h = await Harness.start();
  try {
    const op = Array.from({ length: 512 }, () => [1, 'a']).flat();
    const wa = await h.server.createWorkshop({ title: 'A', text: 'x'.repeat(600) });
    const wb = await h.server.createWorkshop({ title: 'B' });
    const a = h.client({ workshop: wa.id }), late = h.client({ workshop: wa.id }), n = h.client({ workshop: wb.id });
    await Promise.all([a.start(), late.start(), n.start()]);
    for (let i = 0; i < 850; i++) await a.ask({ type: 'op', rev: i, op }, 30000);
    const pid = h.server.proc.pid;
    const c0 = cpuMs(pid);
    const t0 = Date.now();
    const lates = []; const acks = [];
    for (let i = 0; i < 100; i++) {
      lates.push(late.ask({ type: 'op', rev: 0, op }, 120000));
      const s = Date.now(); acks.push(n.ask({ type: 'op', rev: 0, op: ['n'] }, 120000).then((r) => ({ r, ms: Date.now() - s })));
    }
    const lr = await Promise.all(lates); const ar = await Promise.all(acks);
    const codes = {}; for (const r of lr) codes[r.code || r.type] = (codes[r.code || r.type] || 0) + 1;
    console.log(JSON.stringify({ bin: process.argv[2], late: codes, cpuMsFor100Late: cpuMs(pid) - c0, wallMs: Date.now() - t0,
      neighbourAcked: ar.filter((x) => x.r.type === 'ack').length, neighbourMaxAckMs: Math.max(...ar.map((x) => x.ms)) }));
  } finally { await h.close(); }
})().catch((e) => { console.error(e); process.exit(1); });
