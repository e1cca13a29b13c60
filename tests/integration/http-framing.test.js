'use strict';
// How the HTTP API reads what it is sent: a Content-Length that is not a
// number is refused (and the connection closed, since where the body ends is
// unknown), and the only string refused for a NUL is a real \u0000 escape,
// not a literal backslash followed by "u0000". And the edge's strictness
// (issue 14): two Content-Lengths or a Transfer-Encoding are refused, so are
// methods nothing serves (CONNECT never becomes a raw socket); the
// Authorization scheme is case-insensitive and a malformed one is refused,
// never read as no key; a query argument that does not fit is 400, never a
// Redis error; the static files never follow a link out of the web root; the
// policy lets pages talk to this server only.

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { Harness, rawExchange, bearer } = require('./harness');

describe('HTTP framing and strings', { timeout: 60000 }, () => {
  let h;
  before(async () => { h = await Harness.start(); }, { timeout: 30000 });
  after(async () => { if (h) await h.close(); }, { timeout: 30000 });

  // A value that does not start with a digit ("abc", "0x10" past its 0) never
  // reaches the server's code: lws 4.1 holds such a request and closes it
  // after --handshake-secs, unanswered. Nothing is created either way.
  for (const cl of ['-5', '12x', '1 2']) {
    test(`Content-Length "${cl}": 400 bad_request, connection closed, nothing read after it`, async () => {
      const body = '{"title":"Atelier"}';
      // A second request rides behind the first: it must not be answered.
      const req = `POST /api/workshops HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${cl}\r\n\r\n${body}`
        + 'GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n';
      const r = await rawExchange(h.server.port, req);
      assert.match(r.text, /^HTTP\/1\.1 400 /);
      assert.match(r.text, /"code":"bad_request"/);
      assert.match(r.text, /Content-Length is not a number/);
      assert.equal((r.text.match(/HTTP\/1\.1 /g) || []).length, 1, r.text);
      assert.ok(r.closed, 'the server closes the connection');
    });
  }

  test('a title with a literal backslash before "u0000" is a title like any other', async () => {
    const title = 'C:\\u0000 et la suite';
    const r = await h.server.http('POST', '/api/workshops', { body: { title } });
    assert.equal(r.status, 201, r.text);
    assert.equal(r.json.title, title);
    const got = await h.server.http('GET', `/api/workshops/${r.json.id}`);
    assert.equal(got.json.title, title);
  });

  test('a real \\u0000 escape is refused, in the title or the starting text', async () => {
    for (const raw of ['{"title":"a\\u0000b"}', '{"title":"a","text":"x\\u0000"}', '{"title":"a\\\\\\u0000b"}']) {
      const r = await h.server.http('POST', '/api/workshops', { body: raw, headers: { 'content-type': 'application/json' } });
      assert.equal(r.status, 400, raw);
      assert.equal(r.json.error.code, 'bad_request');
      assert.match(r.json.error.message, /\\u0000/);
    }
  });

  const smuggled = [
    ['two Content-Lengths', 'Content-Length: 19\r\nContent-Length: 19\r\n', /more than one Content-Length/],
    ['Transfer-Encoding and Content-Length', 'Content-Length: 19\r\nTransfer-Encoding: chunked\r\n', /Transfer-Encoding is not supported/],
  ];
  for (const [what, headers, message] of smuggled) {
    test(`${what}: 400, connection closed, nothing created`, async () => {
      const body = '{"title":"Atelier"}';
      const req = `POST /api/workshops HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n${headers}\r\n${body}`
        + 'GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n';
      const before = await h.redis.command('DBSIZE');
      const r = await rawExchange(h.server.port, req);
      assert.match(r.text, /^HTTP\/1\.1 400 /);
      assert.match(r.text, message);
      assert.match(r.text, /"code":"bad_request"/);
      assert.equal((r.text.match(/HTTP\/1\.1 /g) || []).length, 1, r.text);
      assert.ok(r.closed, 'the server closes the connection');
      assert.equal(await h.redis.command('DBSIZE'), before);
    });
  }

  for (const method of ['CONNECT', 'PUT', 'PATCH', 'OPTIONS']) {
    test(`${method}: 405 and the connection closed (never a raw socket)`, async () => {
      const r = await rawExchange(h.server.port, `${method} /api/workshops HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n`, 5000);
      assert.match(r.text, /^HTTP\/1\.1 405 /, r.text);
      assert.match(r.text, /"code":"bad_request"/);
      assert.ok(r.closed, 'the server closes the connection');
    });
  }

  test('an upgrade to anything but a WebSocket (h2c) is refused', async () => {
    const r = await rawExchange(h.server.port, 'GET /ws HTTP/1.1\r\nHost: x\r\nConnection: Upgrade, HTTP2-Settings\r\n'
      + 'Upgrade: h2c\r\nHTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\n\r\n', 3000);
    assert.match(r.text, /^HTTP\/1\.[01] 400 /, r.text);
  });

  test('the Authorization scheme in any case; a malformed or overlong one is 401, never the public view', async () => {
    const w = await h.server.createWorkshop({ title: 'Clés' });
    const history = `/api/workshops/${w.id}/history`;
    const exportMd = `/api/workshops/${w.id}/export?format=md`;
    for (const scheme of ['Bearer', 'bearer', 'BEARER']) {
      const r = await h.server.http('GET', exportMd, { headers: { authorization: `${scheme} ${w.facilitator_key}` } });
      assert.equal(r.status, 200, `${scheme}: ${r.text}`);
    }
    const malformed = ['Basic YWxhZGRpbjpvcGVuc2VzYW1l', 'Bearer', 'Bearer a b', 'Bearer k"y', `Bearer ${'k'.repeat(300)}`,
      `Bearer${w.facilitator_key}`];
    for (const value of malformed) {
      for (const url of [history, exportMd]) {
        const r = await h.server.http('GET', url, { headers: { authorization: value } });
        assert.equal(r.status, 401, `${value.slice(0, 40)} on ${url}: ${r.status} ${r.text.slice(0, 200)}`);
        assert.equal(r.json.error.code, 'forbidden');
        assert.equal(r.headers['www-authenticate'], 'Bearer');
      }
    }
    // A wrong key of the right shape is still 403.
    const wrong = await h.server.http('GET', history, { headers: bearer('x'.repeat(43)) });
    assert.equal(wrong.status, 403);
  });

  test('a query argument that does not fit, or that Redis could not read, is 400', async () => {
    const w = await h.server.createWorkshop({ title: 'Requêtes' });
    for (const q of [`after=${'1'.repeat(200)}-0`, 'after=1-99999999999999999999', `only=${'m'.repeat(100)}`,
      `format=${'md'.repeat(20)}`]) {
      const url = q.startsWith('format') ? `/api/workshops/${w.id}/export?${q}` : `/api/workshops/${w.id}/history?${q}`;
      const r = await h.server.http('GET', url, { headers: bearer(w.facilitator_key) });
      assert.equal(r.status, 400, `${q.slice(0, 40)}: ${r.status} ${r.text.slice(0, 200)}`);
      assert.equal(r.json.error.code, 'bad_request');
    }
  });

  test('a symbolic link out of the web root is not followed; the policy allows this server only', async () => {
    const fs = require('node:fs');
    const path = require('node:path');
    const outside = path.join(h.dir, 'outside.txt');
    fs.writeFileSync(outside, 'secret\n');
    fs.symlinkSync(outside, path.join(h.webRoot, 'leak.txt'));
    fs.symlinkSync(h.dir, path.join(h.webRoot, 'up'));
    fs.writeFileSync(path.join(h.webRoot, 'inside.txt'), 'public\n');
    fs.symlinkSync(path.join(h.webRoot, 'inside.txt'), path.join(h.webRoot, 'alias.txt'));
    for (const url of ['/leak.txt', '/up/outside.txt']) {
      const r = await h.server.http('GET', url);
      assert.equal(r.status, 404, `${url}: ${r.status}`);
      assert.doesNotMatch(r.text, /secret/);
    }
    const inside = await h.server.http('GET', '/alias.txt'); // a link that stays inside is fine
    assert.equal(inside.status, 200);
    assert.equal(inside.text, 'public\n');
    const page = await h.server.http('GET', '/');
    const csp = page.headers['content-security-policy'];
    assert.match(csp, /connect-src 'self';/);
    assert.doesNotMatch(csp, /ws:|wss:/);
  });
});
