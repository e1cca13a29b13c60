'use strict';
// Labels and exports (issue 14, item 12; protocol/README.md, "Limits";
// protocol/history.md, "French typography"): names, organisations, titles of
// the workshop and of the agenda's phases refuse what is invisible or turns
// text around (C0 and C1 controls, Unicode format controls such as U+200B and
// U+202E, the line and paragraph separators) and labels of spaces, with
// `bad_request` (400 over HTTP), creating and changing nothing; a title is
// tidied as names are. The exports drop control bytes (ESC, BEL, BS, C1) that
// the statement holds, so a file shown in a terminal cannot drive it.

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { Harness, must, refusedWith, httpRequest } = require('./harness');

const INVISIBLE = ['\u200b', '\u202e', '\u0085', '\u2066', '\ufeff', '\u00ad', '\u2028', '\u0007', '\u001b', '\udb40\udc41'];

describe('labels and exports', { timeout: 60000 }, () => {
  let h;
  before(async () => { h = await Harness.start(); }, { timeout: 30000 });
  after(async () => { if (h) await h.close(); }, { timeout: 30000 });

  test('invisible characters and blank labels are refused; exports drop control bytes', { timeout: 50000 }, async () => {
    const s = h.server;
    const workshops = async () => (await h.redis.command('KEYS', 'atelier:{w:*}:meta')).length;
    const count = await workshops();
    for (const title of ['   ', ' \u00a0\u202f ', ...INVISIBLE.map((c) => `Ate${c}lier`)]) {
      const r = await s.http('POST', '/api/workshops', { body: { title } });
      assert.equal(r.status, 400, `title ${JSON.stringify(title)}: ${r.status} ${r.text}`);
      assert.equal(r.json.error.code, 'bad_request');
    }
    assert.equal(await workshops(), count, 'a refused creation made a workshop');
    const w = await s.createWorkshop({ title: '  Partenariat   Ville  ', text: 'Quoi\u001b[2J ?\u0007\u0008\nPourquoi\u009b ?\n' });
    assert.equal(w.title, 'Partenariat Ville', 'the title is tidied as names are');

    for (const c of INVISIBLE) {
      for (const [name, organisation] of [[`Aw${c}a`, 'Ville'], ['Awa', `Vil${c}le`]]) {
        const cl = h.client({ workshop: w.id, name, organisation });
        await cl.open();
        const r = await cl.request({ type: 'join', workshop: w.id, name, organisation });
        assert.equal(r.code, 'bad_request', `join as ${JSON.stringify([name, organisation])}: ${JSON.stringify(r)}`);
        cl.close();
      }
    }
    const people = await h.redis.command('HLEN', `atelier:{w:${w.id}}:people`);
    assert.equal(people, 0, 'a refused join stored a person');
    const fac = h.client({ workshop: w.id, name: 'Awa', organisation: 'Ville', key: w.facilitator_key });
    await fac.start();
    const meta = await h.redis.command('HGET', `atelier:{w:${w.id}}:meta`, 'agenda');
    await refusedWith(fac, { type: 'agenda_set', phases: [{ id: 'x', title: 'Pha\u202ese', minutes: 5 }] }, 'bad_request');
    await refusedWith(fac, { type: 'agenda_set', phases: [{ id: 'x', title: '  ', minutes: 5 }] }, 'bad_request');
    assert.equal(await h.redis.command('HGET', `atelier:{w:${w.id}}:meta`, 'agenda'), meta, 'a refused agenda changed');
    await must(fac, { type: 'agenda_set', phases: [{ id: 'x', title: 'Quoi\u202f?', minutes: 5 }] }, 'agenda');

    // The statement's control bytes: dropped from every export.
    for (const format of ['md', 'html', 'csv']) {
      const r = await httpRequest(s.port, 'GET', `/api/workshops/${w.id}/export?format=${format}&lang=fr`, { headers: { authorization: `Bearer ${w.facilitator_key}` } });
      assert.equal(r.status, 200);
      assert.ok(!/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/.test(r.text), `${format}: a control byte in the export`);
      if (format !== 'csv') assert.ok(r.text.includes('Quoi') && r.text.includes('[2J ?'), `${format}: the statement's text is kept`);
    }
  });
});
