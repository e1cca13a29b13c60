'use strict';
// TLS and origins (issue 14, item 6): with --tls-cert and --tls-key the port
// serves HTTPS and WSS (a certificate made here, self-signed), with HSTS; a
// WebSocket from a page of another site is refused with 403, from the
// server's own origin or an --allowed-origin it opens. Without TLS the same
// origin rule holds, and clients that send no Origin (not browsers) connect.

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { execFileSync } = require('node:child_process');
const path = require('node:path');
const WebSocket = require('ws');
const { Harness, makeTempDir, removeTempDir, upgrade, rawExchange, waitUntil } = require('./harness');

// The test's certificate: node's tls accepts it through this, for this process only.
process.env.NODE_TLS_REJECT_UNAUTHORIZED = '0';

function selfSigned(dir) {
  const cert = path.join(dir, 'cert.pem');
  const key = path.join(dir, 'key.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert,
    '-days', '2', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
  return { cert, key };
}

describe('TLS', { timeout: 90000 }, () => {
  let h;
  let certDir;
  before(async () => {
    certDir = makeTempDir('atelier-tls-');
    const { cert, key } = selfSigned(certDir);
    h = await Harness.start({
      serverArgs: ['--tls-cert', cert, '--tls-key', key, '--allowed-origin', 'https://partenaires.example'],
      serverOpts: { tls: true },
    });
  }, { timeout: 60000 });
  after(async () => {
    if (h) await h.close();
    if (certDir) removeTempDir(certDir);
  }, { timeout: 30000 });

  test('HTTPS /healthz with HSTS; plain HTTP on the port gets no answer', async () => {
    const r = await h.server.http('GET', '/healthz');
    assert.equal(r.status, 200);
    assert.equal(r.json.status, 'ok');
    assert.match(r.headers['strict-transport-security'], /^max-age=\d+/);
    const page = await h.server.http('GET', '/');
    assert.equal(page.status, 200);
    assert.match(page.headers['strict-transport-security'], /^max-age=\d+/);
    const plain = await rawExchange(h.server.port, 'GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n', 3000);
    assert.doesNotMatch(plain.text, /"status":"ok"/);
  });

  test('a WSS join and edit, seen by another client', async () => {
    const w = await h.server.createWorkshop({ title: 'Chiffré', text: 'Début\n' });
    assert.match(h.server.wsUrl, /^wss:/);
    const a = h.client({ workshop: w.id, name: 'Alice', organisation: 'Ville' });
    const b = h.client({ workshop: w.id, name: 'Bob', organisation: 'Banque' });
    await a.start();
    await b.start();
    a.submit(['« sûr » ']);
    await b.waitFor((m) => m.type === 'op', 5000, 'the op relayed');
    assert.equal(b.text, '« sûr » Début\n');
    // Big messages go through TLS in pieces, whole.
    const big = 'é🤝'.repeat(8000);
    a.submit([big]);
    await waitUntil(() => a.idle, 5000, 'the big op acked');
    await waitUntil(() => b.rev === a.rev, 5000, 'the big op relayed');
    assert.equal(b.text, a.text);
    h.assertNoProblems();
  });

  test('origins: the server own and --allowed-origin open; another site is 403', async () => {
    const own = `https://127.0.0.1:${h.server.port}`;
    for (const origin of [own, 'https://partenaires.example']) {
      const r = await upgrade(h.server.wsUrl, { origin });
      assert.equal(r.status, 101, origin);
      r.ws.terminate();
    }
    for (const origin of ['https://evil.example', 'http://127.0.0.1.evil.example', 'null', 'https://partenaires.example.evil']) {
      assert.equal((await upgrade(h.server.wsUrl, { origin })).status, 403, origin);
    }
  });
});

describe('origins without TLS', { timeout: 60000 }, () => {
  let h;
  before(async () => { h = await Harness.start(); }, { timeout: 30000 });
  after(async () => { if (h) await h.close(); }, { timeout: 30000 });

  test('own origin and no Origin open; a foreign one is 403 and joins nothing', async () => {
    const own = `http://127.0.0.1:${h.server.port}`;
    const ok = await upgrade(h.server.wsUrl, { origin: own });
    assert.equal(ok.status, 101);
    ok.ws.terminate();
    const none = new WebSocket(h.server.wsUrl, { perMessageDeflate: false });
    await new Promise((resolve, reject) => { none.on('open', resolve); none.on('error', reject); });
    none.terminate();
    assert.equal((await upgrade(h.server.wsUrl, { origin: 'http://evil.example' })).status, 403);
    assert.equal((await upgrade(h.server.wsUrl, { origin: `http://localhost:${h.server.port}` })).status, 403,
      'another name for the same machine is another site');
  });
});
