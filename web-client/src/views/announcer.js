// One polite ARIA live region for the page. Messages are queued and spaced
// out: screen readers drop a change that replaces another too quickly, and
// the same sentence twice in a row is only read if the text node changes.
export function createAnnouncer(region) {
  const queue = [];
  let busy = false;
  const next = () => {
    const msg = queue.shift();
    if (msg == null) {
      busy = false;
      return;
    }
    busy = true;
    region.textContent = '';
    setTimeout(() => {
      region.textContent = msg;
      setTimeout(next, 700);
    }, 50);
  };
  return (msg) => {
    if (!msg) return;
    queue.push(msg);
    if (queue.length > 5) queue.splice(0, queue.length - 5);
    if (!busy) next();
  };
}
