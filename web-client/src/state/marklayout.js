// Where the replay timeline's marks go: each mark is a square target of
// `size` pixels (24 at least: WCAG 2.5.8) on a track `width` pixels wide,
// ideally centred on its moment; marks never overlap. Several marks close in
// time (people arriving together, a poll opened then revealed) are spread over
// more rows (lanes) before they are pushed sideways, so each stays near its
// moment. Pure: the view measures, this decides.

/**
 * Lay out marks whose ideal centres are `centres` (pixels, in time order) on
 * a track `width` wide. Returns { lanes, places: [{ left, lane }] } where
 * `left` is the mark's left edge, so that in each lane marks are at least
 * `size` apart and stay in time order, and every mark is inside the track.
 * The fewest lanes whose largest shift from an ideal place is at most
 * `tolerance`; failing that, up to `maxLanes` (more only if the marks cannot
 * fit otherwise), the lane count with the smallest largest shift.
 */
export function layoutMarks(centres, { width, size = 24, tolerance = size / 2, maxLanes = 3 } = {}) {
  const n = centres.length;
  if (n === 0) return { lanes: 1, places: [] };
  const perLane = Math.max(1, Math.floor(width / size)); // marks one lane can hold
  let best = null;
  for (let lanes = Math.ceil(n / perLane); lanes <= n; lanes++) { // fewer lanes cannot hold them all
    const places = inLanes(centres, lanes, width, size);
    if (!fits(places, lanes, perLane)) continue;
    const shift = Math.max(...places.map((p, i) => Math.abs(p.left + size / 2 - centres[i])));
    if (!best || shift < best.shift) best = { lanes, places, shift };
    if (shift <= tolerance || lanes >= maxLanes) break;
  }
  return { lanes: best.lanes, places: best.places };
}

/**
 * Each mark to the first lane where it has room at its ideal place, else to
 * the lane that frees up first; then each lane's marks spread apart.
 */
function inLanes(centres, lanes, width, size) {
  const free = new Array(lanes).fill(-Infinity); // where each lane has room from
  const places = centres.map((c) => {
    const left = clamp(c - size / 2, 0, width - size);
    let lane = free.findIndex((f) => f <= left);
    if (lane < 0) lane = free.indexOf(Math.min(...free));
    free[lane] = Math.max(left, free[lane]) + size;
    return { left, lane };
  });
  for (let lane = 0; lane < lanes; lane++) spread(places.filter((p) => p.lane === lane), width, size);
  return places;
}

/** No lane holds more marks than fit side by side in the track. */
function fits(places, lanes, perLane) {
  const count = new Array(lanes).fill(0);
  for (const p of places) count[p.lane]++;
  return count.every((c) => c <= perLane);
}

/**
 * Push marks of one lane apart: rightwards from the left, then back leftwards
 * from the track's end. With at most width/size marks, none leaves the track.
 */
function spread(row, width, size) {
  for (let k = 1; k < row.length; k++) row[k].left = Math.max(row[k].left, row[k - 1].left + size);
  for (let k = row.length - 1; k >= 0; k--) {
    const limit = k === row.length - 1 ? width - size : row[k + 1].left - size;
    row[k].left = Math.max(0, Math.min(row[k].left, limit));
  }
}

const clamp = (x, lo, hi) => Math.max(lo, Math.min(x, hi));
