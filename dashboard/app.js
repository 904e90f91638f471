// The shell: sign-in, navigation between pages by URL hash, and each page's clean-up.
import { call, describeRequest, session } from './api.js';
import { fill, h } from './dom.js';
import { clearFailures, errorSlot, forgetModels, showFailure } from './ui.js';
import { catalogPage } from './pages/catalog.js';
import { studioPage } from './pages/studio.js';
import { operationsPage } from './pages/operations.js';
import { consolePage } from './pages/console.js';
import { usagePage } from './pages/usage.js';

const pages = [
  { hash: '#/catalog', title: 'Catalog', render: catalogPage },
  { hash: '#/studio', title: 'Studio', render: studioPage },
  { hash: '#/operations', title: 'Operations', render: operationsPage },
  { hash: '#/console', title: 'API Console', render: consolePage },
  { hash: '#/usage', title: 'Usage', render: usagePage },
];

const root = document.getElementById('app');
let leavePage = () => {};

/**
 * Signing in reads the usage route, which names the key's scopes. A key that may not read
 * (403) is still a valid key: it may only generate.
 */
async function signIn(key) {
  try {
    const answer = await call(describeRequest({ path: '/infra/ai/usage', query: { limit: 1 } }), { key });
    return { key, keyId: answer.data.key.id, scopes: answer.data.key.scopes };
  } catch (error) {
    if (error.status === 403) return { key, keyId: null, scopes: ['ai:generate'] };
    throw error;
  }
}

function signInPage() {
  const input = h('input', { name: 'key', type: 'password', autocomplete: 'off', spellcheck: 'false', required: true, placeholder: 'sk_live_…' });
  const inputError = h('p', { class: 'field-error', id: 'key-error', hidden: true });
  input.id = 'key';
  input.setAttribute('aria-describedby', 'key-hint key-error');
  const slot = errorSlot();
  const form = h(
    'form',
    { class: 'sign-in card', novalidate: true },
    h('h1', {}, 'Sign in'),
    h('label', { for: 'key' }, 'API key'),
    input,
    h('p', { class: 'hint', id: 'key-hint' }, 'Kept in this browser tab only (sessionStorage), sent as a bearer token to this server.'),
    inputError,
    h('div', { class: 'actions' }, h('button', { type: 'submit' }, 'Sign in')),
    slot,
  );
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    clearFailures(form, slot);
    try {
      session.save(await signIn(input.value.trim()));
      forgetModels();
      if (!pages.some((page) => page.hash === location.hash.split('?')[0])) history.replaceState(null, '', '#/catalog');
      render();
    } catch (error) {
      // Whatever the key's answer was, it is about the key field.
      if (error.status) error.field = 'key';
      showFailure(form, slot, error);
      input.focus();
    }
  });
  fill(root, h('main', { id: 'main', class: 'centered' }, form));
  input.focus();
}

function shell(current) {
  const signedIn = session.current;
  const main = h('main', { id: 'main', tabindex: '-1' });
  const nav = h(
    'nav',
    { 'aria-label': 'Dashboard' },
    h(
      'ul',
      {},
      pages.map((page) => h('li', {}, h('a', { href: page.hash, 'aria-current': page === current ? 'page' : false }, page.title))),
    ),
  );
  const signOut = h(
    'button',
    {
      type: 'button',
      class: 'secondary',
      onclick: () => {
        session.clear();
        forgetModels();
        render();
      },
    },
    'Sign out',
  );
  const header = h(
    'header',
    { class: 'top' },
    h('a', { class: 'brand', href: '#/catalog' }, 'AI primitives'),
    nav,
    h(
      'div',
      { class: 'who' },
      h('span', { class: 'key-id' }, signedIn.keyId ?? 'key'),
      h('span', { class: 'scopes' }, signedIn.scopes.join(' · ') || 'no scopes'),
      signOut,
    ),
  );
  fill(root, h('a', { class: 'skip', href: '#main', onclick: (event) => (event.preventDefault(), main.focus()) }, 'Skip to content'), header, main);
  return main;
}

function render() {
  leavePage();
  leavePage = () => {};
  if (!session.current) return signInPage();
  const current = pages.find((page) => page.hash === location.hash.split('?')[0]) ?? pages[0];
  document.title = `${current.title} · AI primitives`;
  const main = shell(current);
  main.append(h('h1', {}, current.title));
  leavePage = current.render(main) ?? (() => {});
}

window.addEventListener('hashchange', () => {
  render();
  document.getElementById('main')?.focus();
});
render();
