// How text gets into the editor besides plain typing: an IME composition
// while someone else types, paste and cut, our own undo/redo; and what
// happens when the server's storage goes away for a while.
import test from 'node:test';
import assert from 'node:assert/strict';
import {
  setup, RedisProc, startServer, until, apiCreate, serverText, sleep,
} from './harness.js';
import { join, connected, statement, typeAt, converged, count, noProblems } from './helpers.js';

const { server, open } = await setup();

async function pair(t, text, srv = server) {
  const { id } = await apiCreate(srv.url, 'Édition', text);
  const invite = `${srv.url}/#/w/${id}`;
  const a = await open({}, t);
  const b = await open({}, t);
  await join(a.page, invite, 'Awa', 'Ville de Lyon');
  await join(b.page, invite, 'Jean', 'Banque');
  return { id, a, b };
}

test('an IME composition is not broken by remote edits and merges once', async (t) => {
  const { id, a, b } = await pair(t, 'Quoi ?\n');
  const cdp = await a.context.newCDPSession(a.page);
  await typeAt(a.page, '', { at: 'end' });
  await cdp.send('Input.imeSetComposition', { text: 'ni', selectionStart: 2, selectionEnd: 2 });
  await cdp.send('Input.imeSetComposition', { text: 'nihao', selectionStart: 5, selectionEnd: 5 });
  // Someone else edits before and after the composition while it is open.
  await typeAt(b.page, '« ', { at: 0 });
  await typeAt(b.page, ' »', { at: 'end' });
  await sleep(500);
  await cdp.send('Input.insertText', { text: '你好' }); // commit
  const text = await converged([a.page, b.page]);
  assert.equal(count(text, '你好'), 1, JSON.stringify(text));
  assert.equal(count(text, 'nihao'), 0);
  assert.ok(text.startsWith('« Quoi ?'), JSON.stringify(text));
  assert.equal(count(text, ' »'), 1);
  assert.equal(await serverText(server.url, id), text);
  noProblems(a.page, b.page);
});

test('paste, cut, and our own undo/redo (which never undoes other people)', async (t) => {
  const { id, a, b } = await pair(t, 'Quoi ?\n');
  await a.context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.url });
  const ta = a.page.locator('#statement');

  await typeAt(a.page, 'Un résultat 😀 commun.');
  await until(async () => (await statement(b.page)).endsWith('Un résultat 😀 commun.'), { message: 'typed text at b' });
  // Copy "résultat 😀 " and paste it at the end.
  await ta.evaluate((el) => { const s = el.value.indexOf('résultat'); el.setSelectionRange(s, s + 'résultat 😀 '.length); });
  await a.page.keyboard.press('Control+C');
  await a.page.keyboard.press('Control+End');
  await a.page.keyboard.press('Control+V');
  await until(async () => (await statement(b.page)).endsWith('commun.résultat 😀 '), { message: 'paste at b' });
  // Cut "commun." out.
  await ta.evaluate((el) => { const s = el.value.indexOf('commun.'); el.setSelectionRange(s, s + 'commun.'.length); });
  await a.page.keyboard.press('Control+X');
  await until(async () => !(await statement(b.page)).includes('commun.'), { message: 'cut at b' });

  // b writes something; a's undo must not touch it.
  await typeAt(b.page, '[Banque]', { at: 0 });
  await until(async () => (await statement(a.page)).startsWith('[Banque]'), { message: 'b text at a' });
  await ta.focus();
  await a.page.keyboard.press('Control+Z'); // undo the cut
  await until(async () => (await statement(b.page)).includes('commun.'), { message: 'undo of the cut at b' });
  await a.page.keyboard.press('Control+Z'); // undo the paste
  await a.page.keyboard.press('Control+Z'); // undo the typing
  await until(async () => (await statement(b.page)) === '[Banque]Quoi ?\n', { message: 'undos at b' });
  await a.page.keyboard.press('Control+Shift+Z'); // redo the typing
  await until(async () => (await statement(b.page)) === '[Banque]Quoi ?\nUn résultat 😀 commun.', { message: 'redo at b' });
  const text = await converged([a.page, b.page]);
  assert.equal(await serverText(server.url, id), text);
  noProblems(a.page, b.page);
});

test('storage down: the connection stays, edits wait and are saved once it is back', async (t) => {
  // A Redis of its own, since this one is stopped and started again.
  const own = await RedisProc.start({ own: true });
  const srv = await startServer({ redisPort: own.port });
  t.after(async () => { await srv.stop(); await own.close(); });
  const { id, a, b } = await pair(t, 'Quoi ?\n', srv);

  await own.stop();
  await typeAt(a.page, 'Pendant la panne.');
  await until(async () => /Reconnexion….*gardées/.test(await a.page.locator('#connection-status').textContent()), { message: 'reconnecting shown, edits kept', timeout: 30000 });
  await sleep(1000);
  assert.equal(count(await statement(b.page), 'Pendant la panne.'), 0, 'not accepted while storage is down');
  await own.startProcess();
  await until(async () => (await statement(b.page)).endsWith('Pendant la panne.'), { message: 'saved after', timeout: 40000 });
  const text = await converged([a.page, b.page], 30000);
  assert.equal(count(text, 'Pendant la panne.'), 1);
  assert.equal(await serverText(srv.url, id), text);
  await connected(a.page);
  noProblems(a.page, b.page);
});
