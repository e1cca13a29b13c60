// checkLabel (views/forms.js): the page refuses, before sending, the labels
// the server refuses (protocol/README.md, "Limits"), so the person reads why
// in their language rather than a bare bad_request.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkLabel, checkTitle } from '../src/views/forms.js';

test('labels: tidied; blank, too long and invisible characters refused', () => {
  assert.deepEqual(checkLabel('  Ville   de Lyon '), { value: 'Ville de Lyon' });
  assert.deepEqual(checkLabel('Note\u202f:'), { value: 'Note :' }); // as the server tidies it
  assert.equal(checkLabel(' \u00a0 ').error, 'form.required');
  assert.equal(checkLabel('x'.repeat(65)).error, 'form.tooLong');
  for (const c of ['\u200b', '\u202e', '\u0085', '\u2066', '\u00ad', '\u0007', '\u{e0041}']) {
    assert.equal(checkLabel(`Aw${c}a`).error, 'form.invalidChars', JSON.stringify(c));
  }
  assert.equal(checkTitle('Ate\u200blier').error, 'form.invalidChars');
  assert.deepEqual(checkTitle('Partenariat 👩🔧'), { value: 'Partenariat 👩🔧' });
  // What writing needs stays, as the server allows it: joiners between visible characters, flag tags.
  for (const ok of ['Awa 👩\u200d💻', 'می\u200cخواهم', '🏴\u{e0067}\u{e0062}\u{e0073}\u{e0063}\u{e0074}\u{e007f}']) {
    assert.deepEqual(checkLabel(ok), { value: ok }, JSON.stringify(ok));
  }
  for (const bad of ['Awa\u200d', '\u200dAwa', 'a \u200db', 'a\u200d\u200db', 'a\u200d\u202eb']) {
    assert.equal(checkLabel(bad).error, 'form.invalidChars', JSON.stringify(bad));
  }
});
