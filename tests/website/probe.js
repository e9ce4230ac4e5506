// The page probe of the website tests: what a reader's browser shows on one page.
// tests/website/conftest.py (fixture `visit`) runs it with Playwright's page.evaluate, twice:
//   'page'  once the page has loaded: waits for every image and for MathJax, then reads the
//           images, the math and the download button;
//   'boxes' after the screenshot: opens every dropdown (hidden solutions too), then measures
//           every code and output box (`pre`) that is wider than the space it has, every code
//           box whose lines wrap, each figure's shown and natural width, each table against
//           the page's column (and the cells pandas cut short), reads the page's prose (its
//           text and tables, without code, printed output or math), and reads each code cell's
//           printed output, box by box in the page's order (myst-nb's classes: stdout
//           "output stream", stderr "output stderr"), with the width of every progress-bar
//           line against the room its box gives it.
async (step) => {
  if (step === 'page') {
    const images = [...document.images];
    for (const img of images) img.loading = 'eager';
    await Promise.all(images.map(img => img.complete ? null :
      new Promise(done => { img.addEventListener('load', done); img.addEventListener('error', done); })));
    if (window.MathJax && MathJax.startup && MathJax.startup.promise) await MathJax.startup.promise;
    const math = [...document.querySelectorAll('.math')];
    const download = document.querySelector('.dropdown-download-buttons');
    const source = download && download.querySelector('a.btn-download-source-button');
    return {
      images: images.map(img => ({src: img.getAttribute('src') || '', alt: img.getAttribute('alt'),
                                  width: img.naturalWidth, output: !!img.closest('.cell_output')})),
      mathjax: !!(window.MathJax && MathJax.startup),
      math: math.length,
      untypeset: math.filter(m => !m.querySelector('mjx-container')).map(m => m.textContent.trim().slice(0, 80)),
      errors: [...document.querySelectorAll('mjx-merror, [data-mjx-error]')]
                .map(e => e.getAttribute('data-mjx-error') || e.textContent.slice(0, 80)),
      download: download ? {button: !!download.querySelector('button'),
                            source: source ? source.getAttribute('href') : null} : {},
    };
  }
  if (step === 'boxes') {
    document.querySelectorAll('button.toggle-button.toggle-button-hidden').forEach(b => b.click());
    document.querySelectorAll('details:not([open])').forEach(d => { d.open = true; });
    const longest = text => text.split('\n').reduce((a, b) => (b.length > a.length ? b : a), '');
    const article = document.querySelector('.bd-article');
    const style = getComputedStyle(article);
    const column = {left: article.getBoundingClientRect().left + parseFloat(style.paddingLeft),
                    right: article.getBoundingClientRect().right - parseFloat(style.paddingRight)};
    // the room for text inside a box, without its padding
    const room = el => {
      const s = getComputedStyle(el);
      return el.clientWidth - parseFloat(s.paddingLeft) - parseFloat(s.paddingRight);
    };
    // a box that may wrap its lines wraps one when, laid out without wrapping, it is wider
    const wraps = pre => {
      if (getComputedStyle(pre).whiteSpace === 'pre') return false;
      const before = pre.style.whiteSpace;
      pre.style.whiteSpace = 'pre';
      const wide = pre.scrollWidth > pre.clientWidth + 1;
      pre.style.whiteSpace = before;
      return wide;
    };
    const canvas = document.createElement('canvas').getContext('2d');
    const textWidth = (text, el) => { canvas.font = getComputedStyle(el).font; return canvas.measureText(text).width; };
    // how many lines the text of an element takes on the page
    const lineCount = el => {
      const bottoms = new Set();
      const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
      for (let node = walker.nextNode(); node; node = walker.nextNode()) {
        if (!node.textContent.trim()) continue;
        const range = document.createRange();
        range.selectNodeContents(node);
        for (const rect of range.getClientRects()) if (rect.width > 0) bottoms.add(Math.round(rect.bottom));
      }
      return bottoms.size;
    };
    const scroller = (el) => {
      for (let up = el.parentElement; up && up !== article; up = up.parentElement) {
        if (['auto', 'scroll'].includes(getComputedStyle(up).overflowX)) return up;
      }
      return null;
    };
    const isStream = pre => !!pre.closest('.output.stream, .output.stderr');
    return {
      column: column.right - column.left,
      wrapped: [...document.querySelectorAll('.bd-article pre')]
        // code: a cell's input, a code block of the text, source shown by a cell (HTML output);
        // printed output may wrap, as in JupyterLab
        .filter(pre => pre.clientWidth > 0 && (!pre.closest('.cell_output') || pre.closest('.cell_output .text_html')))
        .filter(wraps)
        .map(pre => ({output: !!pre.closest('.cell_output'), line: longest(pre.textContent).slice(0, 100)})),
      figures: [...document.querySelectorAll('.cell_output img')]
        .filter(img => img.naturalWidth > 0 && img.getBoundingClientRect().width > 0)
        .map(img => ({src: img.getAttribute('src') || '', alt: (img.getAttribute('alt') || '').slice(0, 60),
                      natural: img.naturalWidth, shown: img.getBoundingClientRect().width,
                      link: img.closest('a') ? img.closest('a').getAttribute('href') : null})),
      tables: [...document.querySelectorAll('.bd-article table')]
        .filter(table => table.getBoundingClientRect().width > 0)
        .map(table => {
          const box = scroller(table);
          const outer = (box || table).getBoundingClientRect();
          const labels = [...table.querySelectorAll('th, thead td')];
          const tallest = labels.reduce((a, cell) => { const n = lineCount(cell); return n > a.lines ? {lines: n, text: cell.textContent.trim().slice(0, 40)} : a; },
                                        {lines: 0, text: ''});
          return {text: table.textContent.trim().replace(/\s+/g, ' ').slice(0, 60),
                  outside: Math.max(0, Math.round(outer.right - column.right), Math.round(column.left - outer.left)),
                  scrolls: !!box, hidden: box ? box.scrollWidth - box.clientWidth : 0,
                  labelLines: tallest.lines, label: tallest.text,
                  // cells that pandas cut short ('...' at the end)
                  truncated: [...table.querySelectorAll('th, td')].map(cell => cell.textContent.trim())
                    .filter(text => /(\.\.\.|…)$/.test(text))};
        }),
      // what the page says in words and tables: its text without code, printed output and math
      prose: (() => {
        const copy = article.cloneNode(true);
        copy.querySelectorAll('pre, .math, mjx-container, script, style').forEach(e => e.remove());
        return copy.textContent;
      })(),
      overwide: [...document.querySelectorAll('pre')]
        .filter(pre => pre.clientWidth > 0 && pre.scrollWidth > pre.clientWidth)
        .map(pre => ({output: !!pre.closest('.cell_output'), hidden: pre.scrollWidth - pre.clientWidth,
                      line: longest(pre.textContent).slice(0, 100)})),
      outputs: [...document.querySelectorAll('.cell_output')].map(area =>
        [...area.querySelectorAll('pre')].filter(isStream).map(pre => ({
          stream: pre.closest('.output.stderr') ? 'stderr' : 'stdout',
          text: pre.textContent,
          bars: pre.textContent.split('\n').filter(line => line.includes('%|'))
                  .map(line => ({line, width: textWidth(line, pre), room: room(pre)})),
        }))),
    };
  }
  throw new Error(`probe.js: no step ${step}`);
}
