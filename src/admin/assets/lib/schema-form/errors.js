// The API's field errors ({ path: '/arguments/positions/0/symbol', message }) placed beside the controls they are about.

/** Shows one error at the node its JSON pointer leads to (or the deepest one found); false if no control took it. */
export function placeError(root, detail) {
  let segments = String(detail.path ?? '')
    .split('/')
    .slice(1)
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
  if (segments[0] === 'arguments') segments = segments.slice(1);
  if (segments.length === 1 && segments[0] === '') segments = [];
  let node = root;
  let placed = true;
  for (const segment of segments) {
    const next = node.child(segment);
    if (!next) {
      placed = false;
      break;
    }
    node = next;
  }
  const missing = /required property '([^']+)'/.exec(detail.message ?? '');
  const target = placed && missing ? node.child(missing[1]) : undefined;
  (target ?? node).addError(detail.message ?? 'invalid');
  return placed && (target || !missing || node !== root);
}

/** Clears the shown errors, shows these; returns the ones no control took. */
export function setErrors(root, details) {
  root.clear();
  return (details ?? []).filter((detail) => !placeError(root, detail));
}
