// Sign in: an API key or the admin token, exchanged for the session cookie (POST /ui/session).
import { configure, post } from '../lib/api.js';
import { errorNotice, field, h, replace } from '../lib/dom.js';
import { session, setSession } from '../lib/session.js';

export function render(root, _params, { navigate, reloadSession }) {
  const input = h('input', { type: 'password', name: 'credential', autocomplete: 'current-password', required: true, spellcheck: 'false' });
  const credential = field('API key or admin token', input, {
    hint: 'An admin key or TOOLPORT_ADMIN_TOKEN sees everything; another key sees what its scopes allow. It is sent once; the browser keeps only a session cookie.',
  });
  const status = h('div', { 'aria-live': 'assertive' });
  const submit = h('button', { type: 'submit' }, 'Sign in');
  const form = h(
    'form',
    {
      class: 'panel',
      onsubmit: async (event) => {
        event.preventDefault();
        submit.disabled = true;
        replace(status);
        credential.setError(null);
        try {
          const opened = await post('/ui/session', { credential: input.value });
          setSession(opened);
          configure({ csrf: opened.csrf, mode: opened.mode, server: opened.server });
          input.value = '';
          await reloadSession();
          navigate('/servers');
        } catch (error) {
          credential.setError(error.status === 401 ? 'Not a valid API key or admin token.' : error.message);
          replace(status, errorNotice(error));
          input.focus();
        } finally {
          submit.disabled = false;
        }
      },
    },
    credential,
    h('div', { class: 'actions' }, submit),
  );
  const open = session();
  replace(
    root,
    h(
      'div',
      { class: 'sign-in' },
      h('h1', {}, 'Sign in to Toolport'),
      status,
      form,
      open.principal && !open.signedIn
        ? h(
            'p',
            { class: 'notice' },
            `This browser is on the loopback interface and the server lets it in without a credential (TOOLPORT_AUTH=local-open) as "${open.principal.name}". `,
            h('a', { href: '#/servers' }, 'Continue without signing in'),
            '.',
          )
        : null,
      h(
        'p',
        { class: 'muted' },
        'No key yet? Start Toolport with TOOLPORT_ADMIN_TOKEN set, or run ',
        h('code', {}, 'npx toolport keys create --name me --scope admin'),
        '.',
      ),
    ),
  );
  input.focus();
}
