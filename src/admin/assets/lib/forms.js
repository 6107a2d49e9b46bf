// Form helpers shared by the pages.
import { errorNotice, replace, successNotice } from './dom.js';

/**
 * Put each field error of an API answer (details [{ path: '/port', message }]) beside its
 * field: `fields` maps a top-level body key to a field() wrapper. Returns the details no
 * field took (shown in the notice above the form).
 */
export function showFieldErrors(error, fields) {
  const rest = [];
  for (const detail of error?.details ?? []) {
    const key = String(detail.path ?? '')
      .replace(/^\/(body\/)?/, '')
      .split('/')[0];
    const target = fields[key];
    if (target) target.setError(detail.message);
    else rest.push(detail);
  }
  return rest;
}

/** JSON.parse that says where it failed: { value } or { error: 'line 3: Unexpected token' }. */
export function parseJson(text) {
  try {
    return { value: JSON.parse(text) };
  } catch (error) {
    return { error: error.message };
  }
}

/**
 * One button's action on a list page: run `work` (the API call and the list's refresh), then say
 * `success` in the status area — or the API's error there, the list as it was.
 */
export async function runAction(status, work, success) {
  try {
    await work();
    replace(status, successNotice(success));
  } catch (error) {
    replace(status, errorNotice(error));
  }
}
