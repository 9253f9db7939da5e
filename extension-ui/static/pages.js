// Loads the pages' wasm (extension-ui): the popup has a module of its own, the options and
// welcome pages share the other. Its start function mounts the page named by <body data-page>.
const name = document.body.dataset.page === 'popup' ? 'popup' : 'pages';
import(`./ui/${name}.js`).then(({ default: init }) =>
  init({ module_or_path: new URL(`ui/${name}_bg.wasm`, import.meta.url) }));
