/* The learner's progress on the course site. In JupyterLite every check outcome is written by the kernel
 * (tinytorch/checks/browser_progress.py) to tinytorch-progress.json among the learner's files; the parts of
 * each module come from _static/tinytorch-course.json (scripts/course_map.py, at site build). This script
 *  - writes "Your progress: 3 of 5 parts passed" under each module page's "Run in browser" button;
 *  - fills the "Your progress" page: the learning path picture (_static/tinytorch-learning-path.svg)
 *    colored by progress, and each module's parts with their latest outcome.
 */
'use strict';

(() => {
  const PROGRESS_FILE = 'tinytorch-progress.json';

  async function recordedChecks() {
    const text = await window.TinyTorchStorage.readText(PROGRESS_FILE);
    if (text === null) return {};
    try {
      return JSON.parse(text).checks || {};
    } catch (error) { // edited by hand: the next check run in JupyterLite writes a new record
      console.warn(`${PROGRESS_FILE} is not a progress record: ${error}`);
      return {};
    }
  }

  /* {passed: parts whose latest outcome passed, tried: parts with any outcome, total} for one notebook. */
  function summary(entry, checks) {
    const outcomes = entry.parts.map((part) => checks[`${part.module}.${part.check}`]);
    return {
      passed: outcomes.filter((outcome) => outcome && outcome.passed).length,
      tried: outcomes.filter(Boolean).length,
      total: entry.parts.length,
    };
  }

  function state({ passed, tried, total }) {
    if (total && passed === total) return 'done';
    return tried ? 'started' : 'not-started';
  }

  async function showModuleLine(button) {
    const path = new URL(button.href).searchParams.get('path');
    const [course, checks] = await Promise.all([window.TinyTorchStorage.course(), recordedChecks()]);
    const entry = course.notebooks[path];
    if (!entry || !entry.parts.length) return;
    const counts = summary(entry, checks);
    const line = window.TinyTorchStorage.element('p', { class: `tinytorch-module-progress ${state(counts)}` },
      `Your progress: ${counts.passed} of ${counts.total} parts passed `,
      window.TinyTorchStorage.element('a', { href: new URL('progress.html', window.TinyTorchStorage.siteRoot).href },
        '(all modules)'));
    button.closest('.run-in-browser').after(line);
  }

  async function renderProgress(container) {
    const { element, siteRoot } = window.TinyTorchStorage;
    const [course, checks, svgText] = await Promise.all([
      window.TinyTorchStorage.course(), recordedChecks(),
      fetch(new URL('_static/tinytorch-learning-path.svg', siteRoot)).then((response) => response.text())]);
    const picture = element('div', { class: 'tinytorch-learning-path' });
    picture.innerHTML = svgText; // our own build output, same origin
    const sections = [];
    Object.entries(course.notebooks).forEach(([path, entry]) => {
      const counts = summary(entry, checks);
      const node = picture.querySelector(`.path-node[data-notebook="${CSS.escape(path)}"]`);
      if (node) {
        node.classList.add(state(counts));
        if (counts.total) node.querySelector('title').textContent += `: ${counts.passed} of ${counts.total} parts passed`;
      }
      if (!entry.parts.length) return;
      const items = entry.parts.map((part) => {
        const outcome = checks[`${part.module}.${part.check}`];
        const mark = !outcome ? '·' : outcome.passed ? '✅' : '❌';
        const when = outcome ? ` (${outcome.passed ? 'passed' : 'failed'} ${new Date(outcome.at).toLocaleString()})` : '';
        return element('li', { 'data-check': `${part.module}.${part.check}`, 'data-passed': String(!!(outcome && outcome.passed)) },
          `${mark} ${part.title}${when}`);
      });
      sections.push(element('section', { class: 'tinytorch-module-parts', 'data-notebook': path },
        element('h3', {}, element('a', { href: new URL(entry.page, siteRoot).href }, entry.title),
          ` · ${counts.passed} of ${counts.total} parts passed`),
        element('ul', {}, ...items)));
    });
    container.replaceChildren(picture, ...sections);
  }

  document.addEventListener('DOMContentLoaded', () => {
    const button = document.querySelector('.run-in-browser a[href*="?path="]');
    if (button) showModuleLine(button).catch((error) => console.error('tinytorch: progress line:', error));
    const progress = document.getElementById('tinytorch-progress');
    if (progress) {
      renderProgress(progress).catch((error) => { progress.textContent = `Your progress could not be read: ${error.message}`; });
    }
  });
})();
