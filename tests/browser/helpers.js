// Page-level steps shared by the browser tests.
import assert from 'node:assert/strict';
import { until } from './harness.js';

/** Join from an invite link with the form, then wait until connected. */
export async function join(page, inviteUrl, name, organisation) {
  await page.goto(inviteUrl);
  await page.locator('#join-name').fill(name);
  await page.locator('#join-org').fill(organisation);
  await page.locator('#join-submit').click();
  await connected(page);
}

export async function connected(page, timeout = 20000) {
  await page.locator('#connection-status.status-connected').waitFor({ timeout });
}

export const statement = (page) => page.locator('#statement').inputValue();

/**
 * Put the caret at a UTF-16 offset, after a given string (`after`, looked up
 * in the page's current text), or at the end, then type like a person.
 */
export async function typeAt(page, text, { at = 'end', after, delay = 15 } = {}) {
  const ta = page.locator('#statement');
  await ta.focus();
  if (after !== undefined) {
    await ta.evaluate((el, s) => { const i = el.value.indexOf(s) + s.length; el.setSelectionRange(i, i); }, after);
  } else if (at === 'end') {
    await page.keyboard.press('Control+End');
  } else {
    await ta.evaluate((el, n) => el.setSelectionRange(n, n), at);
  }
  await page.keyboard.type(text, { delay });
}

/** Wait until every page shows the same text, and return it. */
export async function converged(pages, timeout = 20000) {
  let texts = [];
  await until(async () => {
    texts = await Promise.all(pages.map(statement));
    return texts.every((t) => t === texts[0]) && texts;
  }, { timeout, message: 'pages to converge' });
  return texts[0];
}

export function count(haystack, needle) {
  return haystack.split(needle).length - 1;
}

export function noProblems(...pages) {
  for (const p of pages) {
    assert.deepEqual(p.problems, [], 'no page errors or CSP violations');
    assert.deepEqual(p.dialogs, [], 'no dialogs (no injected script ran)');
  }
}
