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

// A move shows on the slider at once; the text, clock, event, presence,
// polls and marks are drawn at the page's next animation frame, late on a
// busy machine. This resolves after that frame (callbacks of one frame run
// in the order they were asked for, the view's first).
export const drawn = (page) => page.evaluate(() => new Promise((r) => { requestAnimationFrame(() => r()); }));

/**
 * The timeline's marks as laid out: every one a target of 24 px at least,
 * none overlapping another, all within the timeline (issue #12, item 8).
 * Resolves after a frame so a resize has been laid out.
 */
export async function marksApart(page, what) {
  await drawn(page);
  const { boxes, track } = await page.locator('.timeline-marks').evaluate((el) => ({
    track: el.getBoundingClientRect().toJSON(),
    boxes: [...el.querySelectorAll('.mark')].map((m) => m.getBoundingClientRect().toJSON()),
  }));
  assert.ok(boxes.length > 0, `${what}: marks drawn`);
  for (const [i, b] of boxes.entries()) {
    assert.ok(b.width >= 24 && b.height >= 24, `${what}: mark ${i} is ${b.width}×${b.height}`);
    assert.ok(b.left >= track.left - 0.5 && b.right <= track.right + 0.5 && b.bottom <= track.bottom + 0.5, `${what}: mark ${i} inside the timeline`);
    for (const [j, c] of boxes.entries()) {
      if (j <= i) continue;
      const overlap = Math.min(b.right, c.right) - Math.max(b.left, c.left) > 0.5 && Math.min(b.bottom, c.bottom) - Math.max(b.top, c.top) > 0.5;
      assert.ok(!overlap, `${what}: marks ${i} and ${j} overlap`);
    }
  }
  return boxes.length;
}

/** A person's line in a page's presence list. */
export const person = (page, name) => page.locator('.presence li.person', { hasText: name });

/** The id of the phase a page shows under way (null: none). */
export const currentPhase = (page) => page.evaluate(() => document.querySelector('.agenda-step[aria-current="step"]')?.dataset.phase ?? null);

/** The countdown a page shows, in seconds (negative: overrun), and whether paused; null when none. */
export async function countdown(page) {
  const text = await page.locator('#agenda-countdown').textContent();
  const m = /(\+?)(?:(\d+):)?(\d+):(\d\d)/.exec(text);
  if (!m) return null;
  const s = Number(m[2] || 0) * 3600 + Number(m[3]) * 60 + Number(m[4]);
  return { s: m[1] ? -s : s, paused: /pause/.test(text), text };
}

/** A board item of the page's organisation (issue 16): kind, title, why; waits until it is listed. */
export async function boardAdd(page, title, { kind = 'priority', why = '' } = {}) {
  await page.locator(`#board-kind-${kind}`).check();
  await page.locator('#board-add-title').fill(title);
  await page.locator('#board-add-why').fill(why);
  await page.locator('#board-add').click();
  await page.locator('.board-own-item', { hasText: title }).waitFor();
}

/** The page a click on `selector` opens (a tab or a window of its own, e.g. the presenter view). */
export async function opened(page, selector) {
  const [other] = await Promise.all([page.context().waitForEvent('page'), page.locator(selector).click()]);
  return other;
}
