// The page probe of the website tests: what a reader's browser shows on one page.
// tests/website/conftest.py (fixture `visit`) runs it with Playwright's page.evaluate, twice:
//   'page'  once the page has loaded: waits for every image and for MathJax, then reads the
//           images, the math and the download button;
//   'boxes' after the screenshot: opens every dropdown (hidden solutions too), then measures
//           every code and output box (`pre`) that is wider than the space it has, and reads
//           each code cell's printed output, box by box (myst-nb's classes: stdout
//           "output stream", stderr "output stderr").
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
    return {
      overwide: [...document.querySelectorAll('pre')]
        .filter(pre => pre.clientWidth > 0 && pre.scrollWidth > pre.clientWidth)
        .map(pre => ({output: !!pre.closest('.cell_output'), hidden: pre.scrollWidth - pre.clientWidth,
                      line: longest(pre.textContent).slice(0, 100)})),
      outputs: [...document.querySelectorAll('.cell_output')].map(area => ({
        stdout: [...area.querySelectorAll('.output.stream pre')].map(pre => pre.textContent),
        stderr: [...area.querySelectorAll('.output.stderr pre')].map(pre => pre.textContent),
      })),
    };
  }
  throw new Error(`probe.js: no step ${step}`);
}
