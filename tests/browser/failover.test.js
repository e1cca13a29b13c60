// The Redis primary dies (kill -9) under the failover topology (issue 15,
// "Failure tests": tests/lib/topology.js with two replicas, three Sentinels,
// two server processes on sentinel:// with --replicas 1, haproxy in front;
// the pages reach the service through haproxy only). A page that types
// during the failover shows "reconnecting" with its edits kept, then
// "connected" once a replica is promoted, without a reload; the edit made
// meanwhile arrives once, and both pages converge on what the new primary holds.
import test from 'node:test';
import assert from 'node:assert/strict';
import { setup, artifact, apiCreate, serverText, until } from './harness.js';
import { join, connected, statement, typeAt, converged, count, noProblems } from './helpers.js';

const { server, topology, open } = await setup({
  topology: { replicas: 2 },
  serverArgs: ['--replicas', '1'],
});

// Every status the page's connection indicator takes from now on, in order.
async function recordStatuses(page) {
  await page.evaluate(() => {
    const el = document.querySelector('#connection-status');
    window.statusesSeen = [el.className];
    new MutationObserver(() => {
      if (window.statusesSeen.at(-1) !== el.className) window.statusesSeen.push(el.className);
    }).observe(el, { attributes: true, attributeFilter: ['class'] });
  });
  return () => page.evaluate(() => window.statusesSeen.map((c) => c.match(/status-(\w+)/)[1]));
}

test('the primary killed while a page types: "reconnecting", then "connected", nothing lost or doubled, no reload', async (t) => {
  const { id } = await apiCreate(server.url, 'Bascule', 'Quoi ?\n');
  const invite = `${server.url}/#/w/${id}`;
  const { page: awa } = await open({}, t);
  const { page: jean } = await open({ viewport: { width: 390, height: 844 } }, t);
  await join(awa, invite, 'Awa', 'Ville de Lyon');
  await join(jean, invite, 'Jean', 'Banque');
  await typeAt(awa, 'Avant la panne. ');
  await converged([awa, jean]);
  const statuses = await recordStatuses(awa);
  await awa.evaluate(() => { window.loadedOnce = true; }); // gone if the page reloads

  await topology.primary.stop('SIGKILL');
  await typeAt(awa, 'Pendant la bascule.');
  await until(async () => (await statuses()).includes('reconnecting'), { message: 'reconnecting shown', timeout: 20000 });
  assert.match(await awa.locator('#connection-status').textContent(), /Reconnexion….*gardées/);
  await awa.screenshot({ path: artifact('failover-reconnecting-fr.png') });
  await connected(awa, 30000);
  assert.deepEqual((await statuses()).filter((s, i, a) => s !== a[i - 1]).slice(-2), ['reconnecting', 'connected']);
  assert.equal(await awa.evaluate(() => window.loadedOnce), true, 'the page was not reloaded');

  const text = await converged([awa, jean], 30000);
  assert.equal(count(text, 'Pendant la bascule.'), 1);
  assert.equal(count(text, 'Avant la panne. '), 1);
  assert.equal(await serverText(server.url, id), text);
  assert.equal(await statement(jean), text);
  await connected(jean);
  await jean.screenshot({ path: artifact('failover-after-phone-fr.png') });
  noProblems(awa, jean);
});
