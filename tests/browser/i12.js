// What the issue-12 browser tests share on top of harness.js' setup(): a
// workshop with its facilitator's page, guests in browsers, axe-core, and
// checks for cut names and French typography. People who are not in a
// browser are the harness' participant(name, organisation, {workshop}).
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import * as harness from './harness.js';
import { join } from './helpers.js';

const require = createRequire(import.meta.url);
const AXE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

export const PHONE = { width: 390, height: 844 };
export const NNBSP = '\u202f';

const { apiCreate, until } = harness;

/** The file's Redis, server and Chromium from the harness' setup(), with the helpers these tests share. */
export async function setupFile(opts = {}) { // opts: harness.setup's (serverArgs)
  const env = await harness.setup(opts);
  env.page = (t, opts) => env.newPage(opts, t);
  /** A workshop with a facilitator page already in it. */
  env.workshop = async (t, { title = 'Partenariat Ville – Banque – Association', text = 'Quoi ?\n', name = 'Awa', organisation = 'Ville de Lyon', viewport, locale } = {}) => {
    const w = await apiCreate(env.server.url, title, text);
    const fac = await env.page(t, { viewport, locale });
    await join(fac, `${env.server.url}/#/w/${w.id}?key=${w.facilitator_key}`, name, organisation);
    return { ...w, fac, invite: `${env.server.url}/#/w/${w.id}` };
  };
  /** Someone else in the workshop, in a browser. */
  env.guest = async (t, w, name, organisation, opts) => {
    const p = await env.page(t, opts);
    await join(p, w.invite, name, organisation);
    return p;
  };
  return env;
}

/** axe-core (WCAG 2.1 A and AA) on a page or a part of it; evaluate runs outside the page's CSP. */
export async function axe(page, where, selector = 'document') {
  await page.evaluate(AXE);
  const result = await page.evaluate((sel) => globalThis.axe.run(sel === 'document' ? document : sel, {
    runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] },
  }), selector);
  const problems = result.violations.map((v) => `${v.id} (${v.impact}): ${v.nodes.slice(0, 3).map((x) => x.target.join(' ')).join(', ')}`);
  assert.deepEqual(problems, [], `${where}: accessibility violations`);
}

/** Whether an element's text is shown whole: not cut by an ellipsis or hidden overflow. */
export function notCut(locator) {
  return locator.evaluateAll((els) => els.filter((e) => e.scrollWidth > e.clientWidth + 1 || e.scrollHeight > e.clientHeight + 1).map((e) => e.textContent));
}

/** French text shown on the page (not what people typed) with a space before ? ! : ; or inside « ». */
export function badTypography(page) {
  return page.evaluate(() => {
    const skip = '.editor, .answer-text, .poll-question, .presenter-question, .presenter-statement-text, .bar-choice, .choice-text, .person-name, .org-name, h1, .ready-text, textarea, input';
    const out = [];
    const walk = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let n = walk.nextNode(); n; n = walk.nextNode()) {
      if (n.parentElement.closest(skip) || n.parentElement.closest('[hidden]')) continue;
      if (/[ \u00a0][?!:;»]|«[ \u00a0]/.test(n.textContent)) out.push(n.textContent);
    }
    return out;
  });
}

export { until };
