// Losing the network, and losing the server: edits made meanwhile are kept,
// sent when the link is back, and arrive exactly once; the connection state
// is always on screen; pages resume by themselves.
import test from 'node:test';
import assert from 'node:assert/strict';
import {
  setup, startServer, artifact, until, apiCreate, serverText, sleep,
} from './harness.js';
import { join, connected, statement, typeAt, converged, count, noProblems } from './helpers.js';

const { redis, server, open } = await setup();

// Pages of one test are closed when it ends: idle pages of earlier tests
// would otherwise keep reconnecting and eat the CPU the next test needs.
async function room(t, n, title, srv = server) {
  const { id } = await apiCreate(srv.url, title, 'Quoi ?\n\nPourquoi ?\n\nComment ?\n');
  const invite = `${srv.url}/#/w/${id}`;
  const people = [['Awa', 'Ville de Lyon'], ['Jean', 'Banque'], ['Inès', 'Association']];
  const out = [];
  for (let i = 0; i < n; i++) {
    const { context, page } = await open({}, t);
    await join(page, invite, ...people[i]);
    out.push({ context, page });
  }
  return { id, invite, rooms: out, pages: out.map((x) => x.page) };
}

const statusText = (page) => page.locator('#connection-status .status-label').textContent();

test('offline: edits are kept, sent on reconnect, and arrive once', async (t) => {
  const { id, rooms, pages } = await room(t, 3, 'Hors ligne');
  const [, , ines] = rooms;
  await converged(pages);

  await ines.context.setOffline(true);
  await until(async () => (await statusText(ines.page)) === 'Hors ligne', { message: 'offline shown' });
  // The others see Inès leave once her socket closes.
  await until(async () => (await pages[0].locator('.person', { hasText: 'Inès' }).count()) === 0, { message: 'departure seen' });

  await typeAt(ines.page, ' Écrit hors ligne 🚆.');
  await typeAt(pages[0], ' [Awa en ligne]', { at: 6 });
  await sleep(1000);
  assert.equal(count(await statement(pages[1]), 'hors ligne'), 0, 'nothing left the offline page');
  await until(async () => /gardées|kept/.test(await ines.page.locator('#connection-status').textContent()), { message: 'unsent edits shown' });
  await ines.page.screenshot({ path: artifact('workshop-offline-fr.png'), fullPage: true });

  await ines.context.setOffline(false);
  await connected(ines.page);
  const text = await converged(pages);
  assert.equal(count(text, 'Écrit hors ligne 🚆.'), 1);
  assert.equal(count(text, '[Awa en ligne]'), 1);
  assert.equal(await serverText(server.url, id), text);
  noProblems(...pages);
});

test('offline while an edit is in flight, with several edits queued behind it', async (t) => {
  const { id, rooms, pages } = await room(t, 2, 'En vol');
  const [awa, jean] = rooms;
  await converged(pages);
  // Type and cut the network in the same breath: some of it is in flight.
  const typing = typeAt(jean.page, 'abcdefghijklmnopqrstuvwxyz', { delay: 5 });
  await sleep(40);
  await jean.context.setOffline(true);
  await typing;
  await typeAt(jean.page, '0123456789');
  await jean.context.setOffline(false);
  await connected(jean.page);
  const text = await converged(pages);
  assert.equal(count(text, 'abcdefghijklmnopqrstuvwxyz0123456789'), 1);
  assert.equal(await serverText(server.url, id), text);
  noProblems(awa.page, jean.page);
});

test('server restart: pages resume by themselves, nothing lost or doubled', async (t) => {
  const { id, pages } = await room(t, 3, 'Redémarrage');
  await converged(pages);
  await typeAt(pages[0], ' Avant.');
  await converged(pages);

  await server.kill('SIGKILL');
  await until(async () => (await Promise.all(pages.map(statusText))).every((s) => s === 'Reconnexion…'), { message: 'reconnecting shown' });
  await pages[1].screenshot({ path: artifact('workshop-reconnecting-fr.png'), fullPage: true });
  // Edits while the server is down, on two pages.
  await typeAt(pages[1], ' Pendant (Jean).');
  await typeAt(pages[2], ' Pendant (Inès).', { at: 0 });
  await sleep(1500);

  await server.start();
  await Promise.all(pages.map((p) => connected(p, 30000)));
  const text = await converged(pages);
  assert.equal(count(text, ' Avant.'), 1);
  assert.equal(count(text, ' Pendant (Jean).'), 1);
  assert.equal(count(text, ' Pendant (Inès).'), 1);
  assert.equal(await serverText(server.url, id), text);
  // And they keep working together after it.
  await typeAt(pages[2], ' Après.');
  const after2 = await converged(pages);
  assert.equal(count(after2, ' Après.'), 1);
  // Everyone is back in the presence list, once.
  await until(async () => (await pages[0].locator('.person').count()) === 3, { message: 'three people present' });
  noProblems(...pages);
});

test('server killed with an edit in flight: the edit is neither lost nor doubled', async (t) => {
  const { id, pages } = await room(t, 2, 'Crash en vol');
  await converged(pages);
  const typing = typeAt(pages[0], 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', { delay: 5 });
  await sleep(60);
  await server.kill('SIGKILL');
  await typing;
  await server.start();
  await Promise.all(pages.map((p) => connected(p, 30000)));
  const text = await converged(pages);
  assert.equal(count(text, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ'), 1, JSON.stringify(text));
  assert.equal(await serverText(server.url, id), text);
  noProblems(...pages);
});

test('a reload while offline keeps the unsent edits', async (t) => {
  const { id, rooms, pages } = await room(t, 2, 'Rechargement');
  const [, jean] = rooms;
  await converged(pages);
  await jean.context.setOffline(true);
  await until(async () => (await statusText(jean.page)) === 'Hors ligne', { message: 'offline shown' });
  await typeAt(jean.page, ' Gardé malgré le rechargement.');
  await jean.context.setOffline(false);
  // Reload before the page had time to send (the socket is still reconnecting).
  await jean.page.reload();
  await connected(jean.page);
  const text = await converged(pages);
  assert.equal(count(text, ' Gardé malgré le rechargement.'), 1);
  assert.equal(await serverText(server.url, id), text);
  // Same participant as before the reload: only two people present.
  await until(async () => (await pages[0].locator('.person').count()) === 2, { message: 'two people present' });
});

/**
 * Put a page's WebSocket under the test's control: pass frames through, lose
 * acks (the server took the op, the page never hears it), lose ops (the
 * server never gets them), or refuse new connections.
 */
async function controlSocket(page) {
  const ctl = { mode: 'pass', sockets: new Set() };
  await page.routeWebSocket(/\/ws$/, (ws) => {
    if (ctl.mode === 'refuse') {
      ws.close({ code: 1011, reason: 'refused by the test' });
      return;
    }
    const server = ws.connectToServer();
    ctl.sockets.add(ws);
    const type = (m) => { try { return JSON.parse(m).type; } catch { return null; } };
    ws.onMessage((m) => { if (!(ctl.mode === 'lose-ops' && type(m) === 'op')) server.send(m); });
    server.onMessage((m) => { if (!(ctl.mode === 'lose-acks' && type(m) === 'ack')) ws.send(m); });
    ws.onClose(() => { ctl.sockets.delete(ws); server.close().catch(() => {}); });
    server.onClose(() => ws.close().catch(() => {}));
  });
  ctl.cut = async () => {
    for (const ws of [...ctl.sockets]) await ws.close({ code: 1006 }).catch(() => {});
  };
  return ctl;
}

for (const lost of ['acks', 'ops']) {
  test(`past the server's window with an op in flight whose ${lost === 'acks' ? 'ack' : 'frame'} was lost: merged once`, async (t) => {
    // A server that keeps only 4 ops: resuming after more than that gets a
    // snapshot instead of the missed ops, and whether the in-flight op was
    // taken is found out by sending it again with its id and old revision.
    const small = await startServer({ redisPort: redis.port, args: ['--window', '4'] });
    t.after(() => small.stop());
    const { id, invite } = await (async () => {
      const w = await apiCreate(small.url, 'Fenêtre courte', 'Quoi ?\n');
      return { id: w.id, invite: `${small.url}/#/w/${w.id}` };
    })();
    const a = await open({}, t);
    const b = await open({}, t);
    const ctl = await controlSocket(b.page);
    await join(a.page, invite, 'Awa', 'Ville de Lyon');
    await join(b.page, invite, 'Jean', 'Banque');

    ctl.mode = `lose-${lost}`;
    await typeAt(b.page, 'ÉTÉ-😀', { delay: 0 });
    await sleep(300);
    ctl.mode = 'refuse';
    await ctl.cut();
    await until(async () => (await statusText(b.page)) === 'Reconnexion…', { message: 'reconnecting' });
    await typeAt(b.page, '-pendant');
    for (const w of ['un ', 'deux ', 'trois ', 'quatre ', 'cinq ', 'six ']) await typeAt(a.page, w, { at: 0, delay: 20 });
    await until(async () => (await statement(a.page)).startsWith('six cinq quatre trois deux un '), { message: 'awa typed' });

    ctl.mode = 'pass';
    // "Réessayer": no need to wait for the backoff. The backoff may win the
    // race and reconnect first, taking the button away: then there is nothing to click.
    await b.page.locator('.status-retry').click({ timeout: 3000 }).catch(() => {});
    await connected(b.page);
    const text = await converged([a.page, b.page]);
    assert.equal(count(text, 'ÉTÉ-😀-pendant'), 1, JSON.stringify(text));
    assert.equal(count(text, 'six cinq quatre trois deux un '), 1);
    assert.equal(await serverText(small.url, id), text);
    noProblems(a.page, b.page);
  });
}
