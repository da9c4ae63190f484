/* The learner's saved work on the course site: JupyterLite keeps every notebook a learner saves in this
 * browser's IndexedDB (database "JupyterLite Storage - <lite base path>" unless jupyter-lite.json names one
 * with contentsStorageName; object store "files", one record per path, the record being JupyterLite's
 * contents model). A saved copy shadows the notebook the site ships, so this script
 *  - warns on a module page when the site ships a newer version than the learner's copy, and on one click
 *    keeps the learner's copy under a new name so "Run in browser" opens the new version;
 *  - on the "My work" page: downloads all the learner's files as one .zip, restores such a .zip without
 *    overwriting anything, and asks the browser to keep the storage (navigator.storage.persist()).
 * Plain browser APIs, no request to any other host. window.TinyTorchStorage is used by tinytorch-progress.js.
 */
'use strict';

window.TinyTorchStorage = (() => {
  const FILES_STORE = 'files';
  const CHECKPOINTS_STORE = 'checkpoints';
  const siteRoot = new URL(document.documentElement.dataset.content_root || './', window.location.href);
  const liteRoot = new URL('lite/', siteRoot);

  let storageNamePromise = null;
  let coursePromise = null;

  /* The database JupyterLite 0.6 uses: its default is derived from the site's path, so two courses on
   * one host (two GitHub Pages sites of one user) never share notebooks. */
  function storageName() {
    if (!storageNamePromise) {
      storageNamePromise = fetch(new URL('jupyter-lite.json', liteRoot))
        .then((response) => (response.ok ? response.json() : {}))
        .then((config) => (config['jupyter-config-data'] || {}).contentsStorageName
          || `JupyterLite Storage - ${liteRoot.pathname}`);
    }
    return storageNamePromise;
  }

  function course() {
    if (!coursePromise) {
      // Revalidated on every page: it is what says a site update shipped a new notebook version.
      coursePromise = fetch(new URL('_static/tinytorch-course.json', siteRoot), { cache: 'no-cache' }).then((response) => {
        if (!response.ok) throw new Error(`the course map _static/tinytorch-course.json is missing (${response.status})`);
        return response.json();
      });
    }
    return coursePromise;
  }

  function requestResult(request) {
    return new Promise((resolve, reject) => {
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
  }

  /* Opens JupyterLite's database. When it does not exist yet (JupyterLite never ran here) a reader gets
   * null without creating it; a writer creates it with the files store (localforage adds its other stores). */
  async function openDatabase(forWriting) {
    const name = await storageName();
    const database = await new Promise((resolve, reject) => {
      const request = indexedDB.open(name);
      request.onupgradeneeded = () => {
        if (forWriting) request.result.createObjectStore(FILES_STORE);
        else request.transaction.abort();
      };
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => (request.error && request.error.name === 'AbortError' ? resolve(null) : reject(request.error));
    });
    if (!database) return null;
    database.onversionchange = () => database.close(); // never block JupyterLite adding its stores
    if (!database.objectStoreNames.contains(FILES_STORE)) {
      const version = database.version + 1;
      database.close();
      if (!forWriting) return null;
      return new Promise((resolve, reject) => {
        const request = indexedDB.open(name, version);
        request.onupgradeneeded = () => request.result.createObjectStore(FILES_STORE);
        request.onsuccess = () => resolve(request.result);
        request.onerror = () => reject(request.error);
      });
    }
    return database;
  }

  /* All the learner's files: [{path, model}], notebooks and anything else saved in JupyterLite. */
  async function listFiles() {
    const database = await openDatabase(false);
    if (!database) return [];
    try {
      const store = database.transaction(FILES_STORE).objectStore(FILES_STORE);
      const [paths, models] = await Promise.all([requestResult(store.getAllKeys()), requestResult(store.getAll())]);
      return paths.map((path, index) => ({ path, model: models[index] }));
    } finally {
      database.close();
    }
  }

  async function readFile(path) {
    const database = await openDatabase(false);
    if (!database) return null;
    try {
      return (await requestResult(database.transaction(FILES_STORE).objectStore(FILES_STORE).get(path))) || null;
    } finally {
      database.close();
    }
  }

  function transactionDone(transaction) {
    return new Promise((resolve, reject) => {
      transaction.oncomplete = () => resolve();
      transaction.onerror = () => reject(transaction.error);
      transaction.onabort = () => reject(transaction.error || new Error('the browser aborted the change'));
    });
  }

  function splitName(path) {
    const slash = path.lastIndexOf('/') + 1;
    const dot = path.lastIndexOf('.');
    return dot > slash ? [path.slice(0, dot), path.slice(dot)] : [path, ''];
  }

  /* "folder/01_tensor (my copy from 2025-05-01).ipynb", or "... 2)" when that name is taken too. */
  function freeName(path, label, taken) {
    const [stem, suffix] = splitName(path);
    for (let count = 1; ; count += 1) {
      const candidate = `${stem} (${label}${count > 1 ? ` ${count}` : ''})${suffix}`;
      if (!taken.has(candidate)) return candidate;
    }
  }

  function day(isoTime) {
    return (isoTime || new Date().toISOString()).slice(0, 10);
  }

  /* Moves the learner's copy of `path` to a new name in one transaction (its checkpoints too), so the
   * site's version shows at `path` again. Returns the new name. */
  async function keepCopyAside(path) {
    const database = await openDatabase(true);
    try {
      const stores = [FILES_STORE, CHECKPOINTS_STORE].filter((name) => database.objectStoreNames.contains(name));
      const transaction = database.transaction(stores, 'readwrite');
      const files = transaction.objectStore(FILES_STORE);
      const [model, taken] = await Promise.all([requestResult(files.get(path)), requestResult(files.getAllKeys())]);
      if (!model) throw new Error(`there is no saved copy of ${path} in this browser`);
      const newPath = freeName(path, `my copy from ${day(model.last_modified)}`, new Set(taken));
      files.put({ ...model, path: newPath, name: newPath.split('/').pop() }, newPath);
      files.delete(path);
      if (stores.includes(CHECKPOINTS_STORE)) {
        const checkpoints = transaction.objectStore(CHECKPOINTS_STORE);
        const saved = await requestResult(checkpoints.get(path));
        if (saved !== undefined) {
          checkpoints.put(saved, newPath);
          checkpoints.delete(path);
        }
      }
      await transactionDone(transaction);
      return newPath;
    } finally {
      database.close();
    }
  }

  function notebookVersion(model) {
    const metadata = model && model.content && model.content.metadata;
    return (metadata && metadata.tinytorch && metadata.tinytorch.version) || null;
  }

  /* ---- one .zip file: stored (uncompressed) entries, so any unzip tool and Jupyter open them ---- */

  const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k += 1) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });

  function crc32(bytes) {
    let crc = 0xffffffff;
    for (const byte of bytes) crc = CRC_TABLE[(crc ^ byte) & 0xff] ^ (crc >>> 8);
    return (crc ^ 0xffffffff) >>> 0;
  }

  function dosTime(date) {
    return {
      time: (date.getHours() << 11) | (date.getMinutes() << 5) | Math.floor(date.getSeconds() / 2),
      date: ((Math.max(date.getFullYear(), 1980) - 1980) << 9) | ((date.getMonth() + 1) << 5) | date.getDate(),
    };
  }

  function zip(entries) {
    const encoder = new TextEncoder();
    const chunks = [];
    const directory = [];
    let offset = 0;
    for (const { path, bytes, modified } of entries) {
      const name = encoder.encode(path);
      const { time, date } = dosTime(modified);
      const crc = crc32(bytes);
      const header = new DataView(new ArrayBuffer(30));
      [[0, 0x04034b50, 4], [4, 20, 2], [6, 0x0800, 2], [8, 0, 2], [10, time, 2], [12, date, 2], [14, crc, 4],
        [18, bytes.length, 4], [22, bytes.length, 4], [26, name.length, 2], [28, 0, 2]]
        .forEach(([at, value, size]) => (size === 4 ? header.setUint32(at, value, true) : header.setUint16(at, value, true)));
      const central = new DataView(new ArrayBuffer(46));
      [[0, 0x02014b50, 4], [4, 20, 2], [6, 20, 2], [8, 0x0800, 2], [10, 0, 2], [12, time, 2], [14, date, 2],
        [16, crc, 4], [20, bytes.length, 4], [24, bytes.length, 4], [28, name.length, 2], [30, 0, 2], [32, 0, 2],
        [34, 0, 2], [36, 0, 2], [38, 0, 4], [42, offset, 4]]
        .forEach(([at, value, size]) => (size === 4 ? central.setUint32(at, value, true) : central.setUint16(at, value, true)));
      chunks.push(header, name, bytes);
      directory.push(central, name);
      offset += 30 + name.length + bytes.length;
    }
    const directorySize = directory.reduce((sum, part) => sum + part.byteLength, 0);
    const end = new DataView(new ArrayBuffer(22));
    [[0, 0x06054b50, 4], [4, 0, 2], [6, 0, 2], [8, entries.length, 2], [10, entries.length, 2],
      [12, directorySize, 4], [16, offset, 4], [20, 0, 2]]
      .forEach(([at, value, size]) => (size === 4 ? end.setUint32(at, value, true) : end.setUint16(at, value, true)));
    return new Blob([...chunks, ...directory, end], { type: 'application/zip' });
  }

  /* [{path, bytes, modified}] from a .zip: ours (stored) or one re-zipped by another tool (deflated). */
  async function unzip(buffer) {
    const view = new DataView(buffer);
    let end = buffer.byteLength - 22;
    while (end >= 0 && view.getUint32(end, true) !== 0x06054b50) end -= 1;
    if (end < 0) throw new Error('this file is not a .zip archive (no zip directory found)');
    const count = view.getUint16(end + 10, true);
    let at = view.getUint32(end + 16, true);
    const decoder = new TextDecoder();
    const entries = [];
    for (let index = 0; index < count; index += 1) {
      if (view.getUint32(at, true) !== 0x02014b50) throw new Error('the .zip archive is damaged (bad directory entry)');
      const method = view.getUint16(at + 10, true);
      const [time, date] = [view.getUint16(at + 12, true), view.getUint16(at + 14, true)];
      const compressedSize = view.getUint32(at + 20, true);
      const nameLength = view.getUint16(at + 28, true);
      const extraLength = view.getUint16(at + 30, true);
      const commentLength = view.getUint16(at + 32, true);
      const local = view.getUint32(at + 42, true);
      const path = decoder.decode(new Uint8Array(buffer, at + 46, nameLength));
      at += 46 + nameLength + extraLength + commentLength;
      if (path.endsWith('/')) continue; // a folder entry: folders come from the files' paths
      const dataStart = local + 30 + view.getUint16(local + 26, true) + view.getUint16(local + 28, true);
      const raw = new Uint8Array(buffer, dataStart, compressedSize);
      let bytes;
      if (method === 0) bytes = raw.slice();
      else if (method === 8 && window.DecompressionStream) {
        bytes = new Uint8Array(await new Response(new Blob([raw]).stream()
          .pipeThrough(new DecompressionStream('deflate-raw'))).arrayBuffer());
      } else throw new Error(`${path} in the .zip uses a compression this browser cannot read (method ${method})`);
      const modified = new Date(1980 + (date >> 9), ((date >> 5) & 15) - 1, date & 31,
        time >> 11, (time >> 5) & 63, (time & 31) * 2);
      entries.push({ path, bytes, modified });
    }
    return entries;
  }

  /* The text of a stored file whatever its format (the kernel's writes are stored as base64), or null. */
  async function readText(path) {
    const model = await readFile(path);
    return model && model.content != null ? new TextDecoder().decode(modelBytes(model)) : null;
  }

  function modelBytes(model) {
    if (model.format === 'json') return new TextEncoder().encode(`${JSON.stringify(model.content, null, 1)}\n`);
    if (model.format === 'base64') return Uint8Array.from(atob(model.content || ''), (char) => char.charCodeAt(0));
    return new TextEncoder().encode(model.content || '');
  }

  /* JupyterLite's contents model for a restored file, as its own save() would have stored it. */
  function modelFromBytes(path, bytes, modified) {
    const name = path.split('/').pop();
    const base = { name, path, created: modified.toISOString(), last_modified: modified.toISOString(),
      writable: true, size: bytes.length };
    let text = null;
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    } catch (error) {
      if (!(error instanceof TypeError)) throw error; // not UTF-8: stored as base64 below
    }
    if (text !== null && /\.ipynb$/i.test(name)) {
      let content;
      try {
        content = JSON.parse(text);
      } catch (error) {
        throw new Error(`${path} in the .zip is not a valid notebook (${error.message})`);
      }
      return { ...base, type: 'notebook', format: 'json', mimetype: 'application/x-ipynb+json', content };
    }
    if (text !== null && /\.json$/i.test(name)) {
      try {
        return { ...base, type: 'file', format: 'json', mimetype: 'application/json', content: JSON.parse(text) };
      } catch (error) {
        if (!(error instanceof SyntaxError)) throw error; // not JSON after all: kept as text below
      }
    }
    if (text !== null) return { ...base, type: 'file', format: 'text', mimetype: 'text/plain', content: text };
    let binary = '';
    bytes.forEach((byte) => { binary += String.fromCharCode(byte); });
    return { ...base, type: 'file', format: 'base64', mimetype: 'application/octet-stream', content: btoa(binary) };
  }

  function sameBytes(a, b) {
    return a.length === b.length && a.every((byte, index) => byte === b[index]);
  }

  async function downloadAll() {
    const files = (await listFiles()).filter(({ model }) => model && model.type !== 'directory');
    if (!files.length) throw new Error('there is no saved work in this browser yet for this course');
    const entries = files.map(({ path, model }) => ({
      path, bytes: modelBytes(model), modified: new Date(model.last_modified || Date.now()) }));
    const link = document.createElement('a');
    link.href = URL.createObjectURL(zip(entries));
    link.download = `tinytorch-my-work-${day()}.zip`;
    document.body.appendChild(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(link.href), 60000);
    return { count: entries.length, fileName: link.download };
  }

  /* Restores a downloaded .zip: a file goes back under its own name only when that name is free; an
   * identical file is left alone; a different one at that name stays, and the restored one gets a new
   * name "... (restored YYYY-MM-DD)". Returns [{path, restoredAs, outcome}] to show the learner. */
  async function restore(file) {
    const entries = await unzip(await file.arrayBuffer());
    const database = await openDatabase(true);
    try {
      const transaction = database.transaction(FILES_STORE, 'readwrite');
      const store = transaction.objectStore(FILES_STORE);
      const taken = new Set(await requestResult(store.getAllKeys()));
      const report = [];
      for (const { path, bytes, modified } of entries) {
        const existing = taken.has(path) ? await requestResult(store.get(path)) : null;
        // Compared as stored: a .json or notebook is kept parsed, so the same document in other bytes
        // (the kernel's json.dump, then a download) is still the same file.
        if (existing && sameBytes(modelBytes(existing), modelBytes(modelFromBytes(path, bytes, modified)))) {
          report.push({ path, restoredAs: path, outcome: 'already here, unchanged' });
          continue;
        }
        const target = existing ? freeName(path, `restored ${day()}`, taken) : path;
        const folders = target.split('/').slice(0, -1);
        folders.forEach((_, depth) => {
          const folder = folders.slice(0, depth + 1).join('/');
          if (!taken.has(folder)) {
            store.put({ name: folders[depth], path: folder, type: 'directory', format: 'json', content: null,
              created: modified.toISOString(), last_modified: modified.toISOString(), writable: true,
              size: 0, mimetype: '' }, folder);
            taken.add(folder);
          }
        });
        store.put(modelFromBytes(target, bytes, modified), target);
        taken.add(target);
        report.push({ path, restoredAs: target,
          outcome: existing ? 'a different copy is here: restored under a new name' : 'restored' });
      }
      await transactionDone(transaction);
      return report;
    } finally {
      database.close();
    }
  }

  /* What the browser grants: true when the site's storage is kept until the learner deletes it. */
  async function requestPersistence() {
    if (!navigator.storage || !navigator.storage.persist) return { supported: false, persisted: false };
    const persisted = (await navigator.storage.persisted()) || (await navigator.storage.persist());
    return { supported: true, persisted };
  }

  function persistenceText({ supported, persisted }) {
    if (persisted) return 'This browser keeps your saved work for this site until you delete it.';
    return `This browser ${supported ? 'did not grant' : 'does not offer'} persistent storage to this site: it may `
      + 'delete your saved work when disk space runs low or after some time without a visit (Safari: 7 days). '
      + 'Download your work regularly.';
  }

  /* ---- page parts ---- */

  function element(tag, attributes = {}, ...children) {
    const node = document.createElement(tag);
    Object.entries(attributes).forEach(([key, value]) => node.setAttribute(key, value));
    node.append(...children);
    return node;
  }

  function lastSaved(model) {
    const time = model && model.last_modified ? new Date(model.last_modified) : null;
    return time ? time.toLocaleString() : 'unknown';
  }

  /* The notice under a module page's "Run in browser" button when the learner's copy is older than the
   * notebook the site ships now. */
  async function showUpdateNotice(button) {
    const path = new URL(button.href).searchParams.get('path');
    const [courseData, saved] = await Promise.all([course(), readFile(path)]);
    const shipped = courseData.notebooks[path];
    if (!saved || !shipped || notebookVersion(saved) === shipped.version) return;
    const notice = element('div', { class: 'tinytorch-update-notice admonition warning', role: 'status' },
      element('p', { class: 'admonition-title' }, 'This notebook has been updated'),
      element('p', {}, `The course site now ships a newer version of ${path}. "Run in browser" opens your `
        + `saved copy (last saved ${lastSaved(saved)}), which is based on the earlier version.`));
    const take = element('button', { class: 'btn btn-secondary', type: 'button' },
      'Open the new version (keep my copy)');
    take.addEventListener('click', async () => {
      take.disabled = true;
      try {
        const keptAs = await keepCopyAside(path);
        notice.replaceChildren(element('p', {}, `Your copy is kept as "${keptAs}" (open it from JupyterLite's `
          + 'file list or the My work page). "Run in browser" now opens the new version.'));
        window.open(button.href, '_blank', 'noopener');
      } catch (error) {
        notice.append(element('p', { class: 'tinytorch-error' }, `Nothing was changed: ${error.message}`));
        take.disabled = false;
      }
    });
    notice.append(element('p', {}, take, ' Your copy is renamed, never overwritten.'));
    button.closest('.run-in-browser').after(notice);
  }

  function openLink(path) {
    return element('a', { href: `${new URL('notebooks/index.html', liteRoot)}?path=${encodeURIComponent(path)}`,
      target: '_blank', rel: 'noopener' }, path);
  }

  async function renderMyWork(container) {
    const status = element('p', { class: 'tinytorch-persistence' }, 'Checking what this browser keeps…');
    const download = element('button', { class: 'btn btn-primary', type: 'button' }, 'Download my work');
    const chooser = element('input', { type: 'file', accept: '.zip,application/zip', id: 'tinytorch-restore-file' });
    const result = element('div', { class: 'tinytorch-result', role: 'status' });
    const list = element('div', { class: 'tinytorch-file-list' });
    container.replaceChildren(status,
      element('p', {}, download, ' all your notebooks and files for this course, in one .zip file.'),
      element('p', {}, element('label', { for: 'tinytorch-restore-file' }, 'Restore from a downloaded .zip: '), chooser),
      result, list);

    async function refreshList() {
      const [files, courseData] = await Promise.all([listFiles(), course()]);
      const rows = files.filter(({ model }) => model && model.type !== 'directory').map(({ path, model }) => {
        const shipped = courseData.notebooks[path];
        let state = 'your own file';
        if (shipped) state = notebookVersion(model) === shipped.version ? 'up to date' : 'the site has a newer version';
        return element('tr', {}, element('td', {}, openLink(path)), element('td', {}, lastSaved(model)),
          element('td', {}, state));
      });
      list.replaceChildren(rows.length
        ? element('table', { class: 'table' }, element('thead', {}, element('tr', {},
          element('th', {}, 'File'), element('th', {}, 'Last saved'), element('th', {}, 'Compared with the site'))),
        element('tbody', {}, ...rows))
        : element('p', {}, 'No saved work in this browser yet: notebooks you edit and save in JupyterLite appear here.'));
    }

    download.addEventListener('click', async () => {
      try {
        const { count, fileName } = await downloadAll();
        result.textContent = `Downloaded ${count} file(s) as ${fileName}.`;
      } catch (error) {
        result.textContent = `Nothing to download: ${error.message}.`;
      }
    });
    chooser.addEventListener('change', async () => {
      const file = chooser.files[0];
      if (!file) return;
      try {
        const report = await restore(file);
        result.replaceChildren(element('p', {}, `Restored from ${file.name}:`), element('ul', {},
          ...report.map(({ path, restoredAs, outcome }) => element('li', { 'data-path': path, 'data-restored-as': restoredAs },
            `${path}: ${outcome}${restoredAs !== path ? ` (${restoredAs})` : ''}`))));
      } catch (error) {
        result.textContent = `Nothing was restored from ${file.name}: ${error.message}`;
      }
      chooser.value = '';
      await refreshList();
    });
    const [persistence] = await Promise.all([requestPersistence(), refreshList()]);
    status.textContent = persistenceText(persistence);
    status.dataset.persisted = String(persistence.persisted);
  }

  document.addEventListener('DOMContentLoaded', () => {
    const button = document.querySelector('.run-in-browser a[href*="?path="]');
    if (button) {
      // A click is the learner's gesture: the moment a browser may grant persistent storage.
      button.addEventListener('click', () => { requestPersistence(); });
      showUpdateNotice(button).catch((error) => console.error('tinytorch: update notice:', error));
    }
    const myWork = document.getElementById('tinytorch-my-work');
    if (myWork) renderMyWork(myWork).catch((error) => { myWork.textContent = `Your saved work could not be read: ${error.message}`; });
  });

  return { course, listFiles, readFile, readText, siteRoot, liteRoot, storageName, element };
})();
