// Loads the pages' wasm (extension-ui); its start function mounts the page named by
// <body data-page>.
import init from './ui/extension_ui.js';

init({ module_or_path: new URL('ui/extension_ui_bg.wasm', import.meta.url) });
