/**
 * The one stylesheet. Served from a URL that carries its hash, so it can be
 * cached forever and a new deploy is picked up at once; a file route because
 * the CSP allows no inline styles.
 */
export const STYLESHEET = `
:root {
  --ink: #0f172a; --muted: #475569; --line: #cbd5e1; --paper: #ffffff; --wash: #f1f5f9;
  --brand: #1d4ed8; --brand-ink: #ffffff; --brand-dark: #1e3a8a;
  --danger: #b91c1c; --ok-bg: #ecfdf5; --ok-ink: #065f46; --err-bg: #fef2f2; --err-ink: #991b1b;
  --info-bg: #eff6ff; --info-ink: #1e40af; --warn-bg: #fffbeb; --warn-ink: #78350f; --focus: #f59e0b;
  font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
  line-height: 1.5; color: var(--ink); background: var(--wash);
}
* { box-sizing: border-box; }
body { margin: 0; min-height: 100vh; display: flex; flex-direction: column; }
a { color: var(--brand); }
a:hover { color: var(--brand-dark); }
:focus-visible { outline: 3px solid var(--focus); outline-offset: 2px; }
h1 { font-size: 1.6rem; line-height: 1.25; margin: 0 0 1rem; }
h2 { font-size: 1.2rem; margin: 0 0 .75rem; }
p { margin: 0 0 .75rem; }
code, .mono { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: .9em; }
.visually-hidden { position: absolute; width: 1px; height: 1px; padding: 0; margin: -1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; border: 0; }
.skip-link { position: absolute; left: -999px; top: 0; background: var(--paper); padding: .5rem 1rem; z-index: 10; }
.skip-link:focus { left: .5rem; }

.topbar { background: var(--ink); color: #f8fafc; }
.topbar-inner { max-width: 72rem; margin: 0 auto; padding: .6rem 1rem; display: flex; flex-wrap: wrap; align-items: center; gap: .5rem 1rem; }
.brand { color: #f8fafc; font-weight: 700; text-decoration: none; margin-right: auto; font-size: 1.1rem; }
.brand:hover { color: #bfdbfe; }
.topbar a { color: #f8fafc; }
.whoami { font-size: .9rem; color: #e2e8f0; overflow-wrap: anywhere; }
.topbar button { background: transparent; color: #f8fafc; border: 1px solid #94a3b8; padding: .3rem .7rem; }
.topbar button:hover { background: #334155; }

.switcher-button { padding: .3rem .7rem; border: 1px solid #94a3b8; border-radius: .375rem; }
.switcher-button::after { content: " \\25BE"; }
.switcher-menu { position: fixed; inset: 3.25rem .75rem auto auto; margin: 0; min-width: 16rem; max-width: calc(100vw - 1.5rem); padding: .35rem 0;
  background: var(--paper); color: var(--ink); border: 1px solid var(--line); border-radius: .5rem; box-shadow: 0 10px 25px rgb(15 23 42 / .18); }
.switcher-menu ul { margin: 0; padding: 0; list-style: none; }
.switcher-menu li a { display: flex; justify-content: space-between; gap: 1rem; padding: .45rem .9rem; min-height: 2.5rem; align-items: center; color: var(--ink); text-decoration: none; }
.switcher-menu li a:hover, .switcher-menu li a[aria-current="page"] { background: var(--wash); }
.switcher-menu .role { color: var(--muted); font-size: .85rem; }
.switcher-menu .new { border-top: 1px solid var(--line); margin-top: .35rem; padding-top: .35rem; }

.tabs { background: var(--paper); border-bottom: 1px solid var(--line); }
.tabs ul { max-width: 72rem; margin: 0 auto; padding: 0 .5rem; display: flex; gap: .25rem; list-style: none; overflow-x: auto; }
.tabs a { display: block; padding: .65rem .75rem; text-decoration: none; color: var(--muted); border-bottom: 3px solid transparent; white-space: nowrap; }
.tabs a:hover { color: var(--ink); }
.tabs a[aria-current="page"] { color: var(--ink); border-bottom-color: var(--brand); font-weight: 600; }

main { flex: 1; width: 100%; max-width: 72rem; margin: 0 auto; padding: 1.5rem 1rem 3rem; }
main.narrow { max-width: 28rem; }
.footer { text-align: center; color: var(--muted); font-size: .85rem; padding: 1rem; }

.card { background: var(--paper); border: 1px solid var(--line); border-radius: .5rem; padding: 1.25rem; margin: 0 0 1.25rem; }
.card > :last-child { margin-bottom: 0; }
.grid { display: grid; gap: 1rem; grid-template-columns: repeat(auto-fit, minmax(14rem, 1fr)); margin-bottom: 1.25rem; }
.stat { background: var(--paper); border: 1px solid var(--line); border-radius: .5rem; padding: 1rem 1.25rem; }
.stat h2 { font-size: .9rem; font-weight: 600; color: var(--muted); text-transform: uppercase; letter-spacing: .04em; margin: 0 0 .35rem; }
.stat .value { font-size: 1.6rem; font-weight: 700; margin: 0 0 .25rem; }
.muted { color: var(--muted); }
.page-head { display: flex; flex-wrap: wrap; align-items: baseline; justify-content: space-between; gap: .5rem 1rem; }

.flash, .banner { border-radius: .5rem; padding: .75rem 1rem; margin: 0 0 1.25rem; border: 1px solid; }
.flash-success { background: var(--ok-bg); color: var(--ok-ink); border-color: #6ee7b7; }
.flash-error { background: var(--err-bg); color: var(--err-ink); border-color: #fca5a5; }
.flash-info { background: var(--info-bg); color: var(--info-ink); border-color: #93c5fd; }
.banner-warn { background: var(--warn-bg); color: var(--warn-ink); border-color: #fcd34d; }
.reveal { display: block; margin-top: .5rem; padding: .5rem .75rem; background: var(--paper); color: var(--ink); border: 1px dashed currentColor; border-radius: .375rem; overflow-wrap: anywhere; user-select: all; }
.flash > :last-child, .banner > :last-child { margin-bottom: 0; }

form { margin: 0; }
.field { margin: 0 0 1rem; }
.field label, .label { display: block; font-weight: 600; margin-bottom: .25rem; }
.hint { display: block; color: var(--muted); font-size: .875rem; margin-top: .2rem; }
input[type="text"], input[type="email"], input[type="password"], input[type="number"], input[type="search"], input[type="date"], select {
  width: 100%; max-width: 28rem; font: inherit; color: var(--ink); background: var(--paper);
  border: 1px solid #64748b; border-radius: .375rem; padding: .5rem .65rem; }
input[aria-invalid="true"], select[aria-invalid="true"] { border-color: var(--danger); box-shadow: 0 0 0 1px var(--danger); }
.field-error { color: var(--danger); font-size: .9rem; margin: .3rem 0 0; font-weight: 600; }
.form-error { color: var(--err-ink); background: var(--err-bg); border: 1px solid #fca5a5; border-radius: .375rem; padding: .5rem .75rem; }
fieldset { border: 0; padding: 0; margin: 0 0 1rem; }
legend { font-weight: 600; margin-bottom: .25rem; padding: 0; }
.choice { display: flex; align-items: center; gap: .5rem; margin: .25rem 0; font-weight: 400; }
.inline-form { display: flex; flex-wrap: wrap; align-items: flex-end; gap: .75rem; }
.inline-form .field { margin: 0; flex: 1 1 12rem; }
.row-actions { display: flex; flex-wrap: wrap; gap: .5rem; align-items: center; }
.row-actions select { width: auto; padding: .3rem .5rem; }

button, .button { display: inline-block; font: inherit; font-weight: 600; cursor: pointer; text-decoration: none;
  border-radius: .375rem; padding: .5rem 1rem; border: 1px solid var(--brand); background: var(--brand); color: var(--brand-ink); }
button:hover, .button:hover { background: var(--brand-dark); border-color: var(--brand-dark); color: var(--brand-ink); }
button.secondary, .button.secondary { background: var(--paper); color: var(--brand); }
button.secondary:hover, .button.secondary:hover { background: var(--info-bg); color: var(--brand-dark); }
button.danger, .button.danger { background: var(--paper); color: var(--danger); border-color: var(--danger); }
button.danger:hover, .button.danger:hover { background: var(--err-bg); color: var(--danger); }
.card.danger { border-color: var(--danger); }
button.small, .button.small { padding: .25rem .6rem; font-size: .9rem; }
.actions { display: flex; flex-wrap: wrap; gap: .75rem; align-items: center; margin-top: 1rem; }

.table-wrap { overflow-x: auto; background: var(--paper); border: 1px solid var(--line); border-radius: .5rem; margin: 0 0 1.25rem; }
table { width: 100%; border-collapse: collapse; }
caption { text-align: left; font-weight: 600; padding: .75rem 1rem 0; }
th, td { text-align: left; padding: .6rem 1rem; border-bottom: 1px solid var(--line); vertical-align: middle; }
th { font-size: .85rem; color: var(--muted); text-transform: uppercase; letter-spacing: .04em; white-space: nowrap; }
tbody tr:last-child td { border-bottom: 0; }
td.nowrap { white-space: nowrap; }
.dense td { font-size: .9rem; }
.dense td .id, .dense td.id { word-break: break-all; }
td.empty { color: var(--muted); text-align: center; padding: 1.5rem; }
.pill { display: inline-block; padding: .05rem .5rem; border-radius: 999px; background: var(--wash); border: 1px solid var(--line); font-size: .85rem; }

meter { width: 100%; max-width: 28rem; height: 1.25rem; display: block; margin: .35rem 0; }
.usage { margin: 0 0 1.25rem; }
.usage-count { font-weight: 600; margin: 0; }
.flash:focus { outline: 3px solid var(--focus); outline-offset: 2px; }
td.wrap, dl.facts dd code { overflow-wrap: anywhere; word-break: break-word; }
details.entry summary { cursor: pointer; min-height: 24px; }
details.entry dl { margin: .35rem 0 0; }
.filters { display: grid; gap: .75rem; grid-template-columns: repeat(auto-fit, minmax(11rem, 1fr)); align-items: end; }
.filters .field { margin: 0; }
.cost { font-size: 1.1rem; }
.card ul a, .stat a, .pager a { display: inline-block; min-height: 24px; padding: .15rem 0; }
.pager { display: flex; gap: 1rem; justify-content: space-between; align-items: center; }
.mail { white-space: pre-wrap; overflow-wrap: anywhere; background: var(--wash); border-radius: .375rem; padding: .75rem; margin: .5rem 0 0; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: .35rem 1rem; margin: 0 0 1rem; }
dl.facts dt { color: var(--muted); }
dl.facts dd { margin: 0; }
figure.qr { margin: 0 0 1rem; max-width: 14rem; }
figure.qr svg { display: block; width: 100%; height: auto; }

@media (max-width: 40rem) {
  h1 { font-size: 1.35rem; }
  main { padding: 1rem .75rem 2rem; }
  .card { padding: 1rem; }
  th, td { padding: .5rem .6rem; }
  .hide-narrow { display: none; }
  .tabs ul { flex-wrap: wrap; overflow-x: visible; }
  .tabs a { padding: .5rem .6rem; }
  dl.facts { grid-template-columns: 1fr; }
  .stacked thead { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); }
  .stacked table, .stacked tbody, .stacked tr, .stacked td { display: block; width: 100%; }
  .stacked tr { border-bottom: 1px solid var(--line); padding: .4rem 0; }
  .stacked td { border: 0; padding: .2rem .75rem; }
}
`;

/** FNV-1a, 32 bits: enough to tell two versions of one file apart. */
function fnv1a(text: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0).toString(16).padStart(8, '0');
}

export const STYLESHEET_PATH = `/assets/app.${fnv1a(STYLESHEET)}.css`;

/** A plain mark, so browsers do not ask for /favicon.ico. */
export const FAVICON = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect width="32" height="32" rx="6" fill="#1d4ed8"/><path d="M9 21c1.5 1.6 3.8 2.5 6.6 2.5 3.6 0 6.1-1.8 6.1-4.6 0-2.6-1.9-3.8-5.6-4.5-2.6-.5-3.6-1-3.6-2.1 0-1.1 1.1-1.8 2.9-1.8 1.7 0 3.1.6 4.3 1.7l1.9-2.2C20.1 8.6 18.1 7.8 15.5 7.8c-3.5 0-5.9 1.9-5.9 4.6 0 2.7 2 3.9 5.5 4.5 2.8.5 3.7 1.1 3.7 2.2 0 1.2-1.2 1.9-3.2 1.9-2.1 0-3.8-.8-5-2z" fill="#fff"/></svg>`;

export const FAVICON_PATH = `/assets/favicon.${fnv1a(FAVICON)}.svg`;
