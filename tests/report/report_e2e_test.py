#!/usr/bin/env python3
"""`fathom report` and `fathom compare` as a person sees them, in headless Chromium.

Three real runs of `fathom eval` on the shipped sample sets (benchmarks/samples/): the
saved completions, and two copies with some completions swapped (seeded), so the runs
differ. Then both pages are drawn, and Chromium (Debian's package; scripts/bootstrap
installs it) is asked for:
  - screenshots, wide and narrow, which must not be blank (decoded here: png.py);
  - its console, which must stay silent (a page with a script error proves we would see
    one);
  - the DOM it built, whose table cells must read exactly what report.json holds, whose
    compare intervals must equal an independent bootstrap (paired_bootstrap_reference.py),
    and which must not be wider than a narrow window.
Chromium never reaches the network: pages are file:// URLs, no proxy, every host name
resolves to nothing, no background services, a fresh profile; every call is time-bounded.

Environment: FATHOM_BINARY, FATHOM_SOURCE_DIR. Exit 77 (ctest: skipped) when chromium is
missing outside CI; in CI (CI=true) a missing chromium fails.
"""
import json
import math
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest
from html.parser import HTMLParser

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from png import ink_stats, read_png  # noqa: E402

FATHOM = os.environ.get('FATHOM_BINARY', '')
SOURCE = os.environ.get('FATHOM_SOURCE_DIR', os.path.dirname(os.path.dirname(HERE)))
SAMPLES = os.path.join(SOURCE, 'benchmarks', 'samples')
CHROMIUM = shutil.which('chromium') or shutil.which('chromium-browser')
CHROMIUM_TIMEOUT_S = 120
WIDE = (1280, 3000)
NARROW = (420, 3200)

WORK = None  # the module's temporary directory
TIMES = {}   # what the steps took, printed at the end


# ---------------------------------------------------------------------------- helpers

def run(cmd, timeout=600):
    started = time.monotonic()
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    if p.returncode != 0:
        raise AssertionError('%s exited %d\nstdout:\n%s\nstderr:\n%s' %
                             (' '.join(cmd), p.returncode, p.stdout, p.stderr))
    return p, time.monotonic() - started


def perturb(dst, seed):
    """A copy of the samples' predictions with about 40% of the completions replaced by
    another row's (code: half the samples rotated), chosen by random.Random(seed)."""
    rng = random.Random(seed)
    for name in sorted(os.listdir(SAMPLES)):
        src = os.path.join(SAMPLES, name, 'predictions.jsonl')
        if not os.path.exists(src):
            continue
        with open(src, encoding='utf-8') as f:
            rows = [json.loads(line) for line in f if line.strip()]
        pool = [r['completion'] for r in rows if 'completion' in r]
        for r in rows:
            if 'completion' in r and rng.random() < 0.4:
                r['completion'] = pool[rng.randrange(len(pool))]
            if 'completions' in r:
                cs = r['completions']
                r['completions'] = [cs[(j + seed) % len(cs)] if rng.random() < 0.5 else c
                                    for j, c in enumerate(cs)]
        os.makedirs(os.path.join(dst, name), exist_ok=True)
        with open(os.path.join(dst, name, 'predictions.jsonl'), 'w', encoding='utf-8') as f:
            for r in rows:
                f.write(json.dumps(r, ensure_ascii=False) + '\n')


def chromium(args, name):
    """Runs headless Chromium on a file:// page, offline and bounded in time; returns
    (stdout, stderr). The whole process group is killed on timeout."""
    profile = os.path.join(WORK, 'chromium-profile-' + name)
    cmd = [CHROMIUM, '--headless', '--no-sandbox', '--disable-gpu', '--hide-scrollbars',
           '--no-proxy-server', '--host-resolver-rules=MAP * ~NOTFOUND',
           '--user-data-dir=' + profile, '--no-first-run', '--no-default-browser-check',
           '--disable-background-networking', '--disable-component-update', '--disable-sync',
           '--disable-extensions', '--disable-default-apps', '--disable-breakpad',
           '--disable-domain-reliability', '--metrics-recording-only', '--mute-audio',
           '--enable-logging=stderr', '--v=0'] + args
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         start_new_session=True)
    try:
        out, err = p.communicate(timeout=CHROMIUM_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)
        p.communicate()
        raise AssertionError('chromium took over %d s: %s' % (CHROMIUM_TIMEOUT_S, ' '.join(args)))
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    return out.decode('utf-8', 'replace'), err.decode('utf-8', 'replace')


def console_messages(stderr):
    """The page's console as Chromium logs it: '[...:INFO:CONSOLE(12)] "message", source: ...'."""
    return [line for line in stderr.splitlines() if ':CONSOLE' in line]


def url(path):
    return 'file://' + os.path.abspath(path)


class Node:
    def __init__(self, tag, attrs, parent):
        self.tag, self.attrs, self.parent = tag, dict(attrs), parent
        self.children = []
        self.text_parts = []

    def text(self):
        return ''.join(t if isinstance(t, str) else t.text() for t in self.text_parts)

    def find_all(self, tag=None, **attrs):
        out = []
        for c in self.children:
            if (tag is None or c.tag == tag) and all(
                    (c.attrs.get(k.replace('_', '-')) == v if v is not True
                     else k.replace('_', '-') in c.attrs)
                    for k, v in attrs.items()):
                out.append(c)
            out.extend(c.find_all(tag, **attrs))
        return out

    def has_class(self, cls):
        return cls in self.attrs.get('class', '').split()


class Dom(HTMLParser):
    """The DOM Chromium dumped, as a tree of Nodes."""
    VOID = {'area', 'base', 'br', 'col', 'embed', 'hr', 'img', 'input', 'link', 'meta',
            'source', 'track', 'wbr'}

    def __init__(self, html):
        super().__init__(convert_charrefs=True)
        self.root = Node('#root', [], None)
        self.cur = self.root
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        n = Node(tag, attrs, self.cur)
        self.cur.children.append(n)
        self.cur.text_parts.append(n)
        if tag not in self.VOID:
            self.cur = n

    def handle_startendtag(self, tag, attrs):
        n = Node(tag, attrs, self.cur)
        self.cur.children.append(n)

    def handle_endtag(self, tag):
        n = self.cur
        while n is not self.root and n.tag != tag:
            n = n.parent
        if n is not self.root:
            self.cur = n.parent

    def handle_data(self, data):
        self.cur.text_parts.append(data)


def points(fraction):
    """report_page's number format: printf %.1f of the value x 100, no '-0.0'."""
    s = '%.1f' % (fraction * 100)
    return '0.0' if s == '-0.0' else s


def signed_points(fraction):
    s = points(fraction)
    return s if s == '0.0' or s.startswith('-') else '+' + s


def read_text(path):
    with open(path, encoding='utf-8') as f:
        return f.read()


def load_json(path):
    with open(path, encoding='utf-8') as f:
        return json.load(f)


def items(path):
    """The scored items of an items file, keyed by (subtask, id)."""
    out = {}
    with open(path, encoding='utf-8') as f:
        for line in f:
            j = json.loads(line)
            if 'score' in j:
                ident = j['id'] if isinstance(j['id'], str) else json.dumps(j['id'])
                out[(j.get('subtask') or '', ident)] = j
    return out


# ---------------------------------------------------------------------------- fixture

def setUpModule():
    global WORK
    if not CHROMIUM:
        message = ('chromium is not installed: scripts/bootstrap installs Debian\'s chromium, '
                   'which this test needs to look at the pages')
        if os.environ.get('CI'):
            raise AssertionError(message)
        print('SKIPPED: ' + message)
        sys.exit(77)
    if not FATHOM:
        raise AssertionError('set FATHOM_BINARY to the fathom binary')
    WORK = os.path.join(tempfile.gettempdir(), 'fathom_report_e2e_%d' % os.getpid())
    shutil.rmtree(WORK, ignore_errors=True)
    os.makedirs(WORK)
    perturb(os.path.join(WORK, 'preds-b'), 1)
    perturb(os.path.join(WORK, 'preds-c'), 2)
    for run_name, preds in (('run-a', SAMPLES), ('run-b', os.path.join(WORK, 'preds-b')),
                            ('run-c', os.path.join(WORK, 'preds-c'))):
        run([FATHOM, 'eval', '--suite', 'gpt-fathom', '--api', 'completions', '--data', SAMPLES,
             '--predictions', preds, '--out', os.path.join(WORK, run_name)])
    _, TIMES['report_s'] = run([
        FATHOM, 'report', os.path.join(WORK, 'run-a'), os.path.join(WORK, 'run-b'),
        os.path.join(WORK, 'run-c'), '--labels', 'model-a,model-b,model-c',
        '--out', os.path.join(WORK, 'report.html')])
    _, TIMES['compare_s'] = run([
        FATHOM, 'compare', os.path.join(WORK, 'run-a'), os.path.join(WORK, 'run-b'),
        '--labels', 'model-a,model-b', '--bootstrap', '2000', '--seed', '11',
        '--out', os.path.join(WORK, 'seesaw.html')])


def tearDownModule():
    if WORK:
        for k, v in sorted(TIMES.items()):
            print('%s: %.2f' % (k, v))
        for page in ('report.html', 'seesaw.html'):
            p = os.path.join(WORK, page)
            if os.path.exists(p):
                print('%s: %d bytes' % (page, os.path.getsize(p)))
        if not os.environ.get('FATHOM_KEEP_REPORT_E2E'):
            shutil.rmtree(WORK, ignore_errors=True)


# ---------------------------------------------------------------------------- tests

class ConsoleCheckTest(unittest.TestCase):
    def test_a_broken_page_is_caught(self):
        # The control: if Chromium's console did not reach us, the silence below would
        # prove nothing.
        page = os.path.join(WORK, 'broken.html')
        with open(page, 'w') as f:
            f.write('<!DOCTYPE html><html><body><p>x</p>'
                    '<script>console.error("fathom-console-probe"); undefinedCall();</script>'
                    '</body></html>')
        _, err = chromium(['--dump-dom', url(page)], 'broken')
        messages = console_messages(err)
        self.assertTrue(any('fathom-console-probe' in m for m in messages), err[-3000:])
        self.assertTrue(any('undefinedCall' in m for m in messages), err[-3000:])


class PageTestBase:
    PAGE = None

    def path(self):
        return os.path.join(WORK, self.PAGE)

    def test_self_contained(self):
        dom = Dom(read_text(self.path())).root
        self.assertEqual(dom.find_all('script'), [])
        self.assertEqual(dom.find_all('link'), [])
        self.assertEqual(dom.find_all('img'), [])
        self.assertEqual(dom.find_all('iframe'), [])
        for n in dom.find_all():
            for attr in ('src', 'srcset', 'data', 'action', 'poster'):
                self.assertNotIn(attr, n.attrs, n.tag)
            if 'href' in n.attrs:
                self.assertTrue(n.attrs['href'].startswith('#'), n.attrs['href'])
        text = read_text(self.path())
        self.assertNotIn('@import', text)
        self.assertNotIn('url(http', text)
        self.assertNotIn('@font-face', text)

    def screenshot_check(self, size, name):
        png = os.path.join(WORK, name + '.png')
        started = time.monotonic()
        _, err = chromium(['--screenshot=' + png, '--window-size=%d,%d' % size, url(self.path())], name)
        TIMES['chromium_%s_s' % name] = time.monotonic() - started
        self.assertEqual(console_messages(err), [])
        self.assertTrue(os.path.exists(png), err[-3000:])
        width, height, rows = read_png(png)
        self.assertEqual((width, height), size)
        ink, colours, palette = ink_stats(rows)
        # Text, rules and charts: well over 1% of the pixels and many shades (antialiasing
        # alone gives dozens); a blank or failed page has one or two.
        self.assertGreater(ink, width * height // 100, name)
        self.assertGreater(colours, 50, name)
        return palette

    def test_narrow_window_does_not_scroll_sideways(self):
        # A page around ours measures it (our pages run no script): its document must be
        # no wider than the window; wide tables and charts scroll inside their own boxes.
        harness = os.path.join(WORK, 'harness-' + self.PAGE)
        with open(harness, 'w') as f:
            f.write('<!DOCTYPE html><html><head><meta charset="utf-8"></head><body style="margin:0">'
                    '<iframe id="f" src="%s" style="width:%dpx;height:900px;border:0"></iframe>'
                    '<script>document.getElementById("f").addEventListener("load", function () {'
                    ' var d = this.contentDocument.documentElement;'
                    ' document.body.setAttribute("data-scroll", d.scrollWidth);'
                    ' document.body.setAttribute("data-client", d.clientWidth); });</script>'
                    '</body></html>' % (self.PAGE, NARROW[0]))
        out, err = chromium(['--allow-file-access-from-files', '--virtual-time-budget=10000',
                             '--dump-dom', url(harness)], 'harness-' + self.PAGE)
        body = Dom(out).root.find_all('body')[0]
        self.assertIn('data-scroll', body.attrs, out[-2000:] + err[-2000:])
        self.assertLessEqual(int(body.attrs['data-scroll']), int(body.attrs['data-client']))

    def dom(self):
        out, err = chromium(['--dump-dom', url(self.path())], 'dom-' + self.PAGE)
        self.assertEqual(console_messages(err), [])
        return Dom(out).root


class ReportPageTest(PageTestBase, unittest.TestCase):
    PAGE = 'report.html'

    def test_screenshots_are_not_blank(self):
        palette = self.screenshot_check(WIDE, 'report-wide')
        # The charts are drawn: the first two models' colours (Okabe-Ito blue and
        # vermillion) fill marker and legend pixels exactly.
        self.assertIn(bytes([0x00, 0x72, 0xB2]), palette)
        self.assertIn(bytes([0xD5, 0x5E, 0x00]), palette)
        self.screenshot_check(NARROW, 'report-narrow')

    def test_table_cells_read_what_report_json_holds(self):
        dom = self.dom()
        reports = [load_json(os.path.join(WORK, r, 'report.json')) for r in ('run-a', 'run-b', 'run-c')]
        table = [t for t in dom.find_all('table') if t.has_class('results')][0]
        rows = table.find_all('tr', data_bench=True)
        names = [r.attrs['data-bench'] for r in rows]
        self.assertEqual(sorted(names), sorted(reports[0]['benchmarks']))
        checked = 0
        for row in rows:
            name = row.attrs['data-bench']
            cells = row.find_all('td', data_run=True)
            self.assertEqual(len(cells), 3, name)
            values = [reports[i]['benchmarks'][name]['value'] for i in range(3)]
            best = max(values) if reports[0]['benchmarks'][name]['higher_is_better'] else min(values)
            for cell in cells:
                i = int(cell.attrs['data-run'])
                e = reports[i]['benchmarks'][name]
                v = [s for s in cell.find_all('span') if s.has_class('v')][0].text()
                ci = [s for s in cell.find_all('span') if s.has_class('ci')][0].text()
                self.assertEqual(v, points(e['value']), (name, i))
                self.assertEqual(ci, '[%s, %s]' % (points(e['ci95'][0]), points(e['ci95'][1])), (name, i))
                self.assertEqual(cell.has_class('best'), e['value'] == best, (name, i))
                checked += 1
        self.assertEqual(checked, 3 * len(reports[0]['benchmarks']))

    def test_pass_at_k_tables_match_the_estimator_on_the_items(self):
        # Independent of the C++: the unbiased estimator from the items' verdicts.
        dom = self.dom()
        for name, title in (('humaneval', 'HumanEval'), ('mbpp', 'MBPP')):
            table = [t for t in dom.find_all('table', data_panel=title) if t.has_class('passk')][0]
            for i, row in enumerate(table.find_all('tr')[1:]):
                its = items(os.path.join(WORK, 'run-' + 'abc'[i], name + '.items.jsonl')).values()
                counts = [(len(it['passed']), sum(it['passed'])) for it in its]
                for cell in row.find_all('td', data_k=True):
                    k = int(cell.attrs['data-k'])
                    mean = sum(1.0 if n - c < k else 1 - math.comb(n - c, k) / math.comb(n, k)
                               for n, c in counts) / len(counts)
                    self.assertEqual(cell.text(), points(mean), (name, i, k))


class ComparePageTest(PageTestBase, unittest.TestCase):
    PAGE = 'seesaw.html'

    def test_screenshots_are_not_blank(self):
        palette = self.screenshot_check(WIDE, 'seesaw-wide')
        self.assertIn(bytes([0xD5, 0x5E, 0x00]), palette)  # the solid "worse" bars
        self.screenshot_check(NARROW, 'seesaw-narrow')

    def test_deltas_read_report_json_and_intervals_match_an_independent_bootstrap(self):
        dom = self.dom()
        a = load_json(os.path.join(WORK, 'run-a', 'report.json'))['benchmarks']
        b = load_json(os.path.join(WORK, 'run-b', 'report.json'))['benchmarks']
        rows = {r.attrs['data-bench']: r for t in dom.find_all('table') if t.has_class('deltas')
                for r in t.find_all('tr', data_bench=True)}
        self.assertEqual(sorted(rows), sorted(set(a) & set(b)))

        def col(row, c):
            cell = row.find_all('td', data_col=c)[0]
            spans = [s for s in cell.find_all('span') if s.has_class('v')]
            return (spans[0] if spans else cell).text()

        for name, row in rows.items():
            self.assertEqual(col(row, 'a'), points(a[name]['value']), name)
            self.assertEqual(col(row, 'b'), points(b[name]['value']), name)
            self.assertEqual(col(row, 'delta'), signed_points(b[name]['value'] - a[name]['value']), name)
        # Intervals and p-values: the reference implementation on the real items files, for
        # a macro-averaged benchmark (MMLU), a code one (HumanEval) and a plain one (GSM8K).
        for name in ('mmlu', 'humaneval', 'gsm8k'):
            ia = items(os.path.join(WORK, 'run-a', name + '.items.jsonl'))
            ib = items(os.path.join(WORK, 'run-b', name + '.items.jsonl'))
            strata = {}
            for key, x in ia.items():
                if key in ib:
                    strata.setdefault(key[0], []).append([x['score'], ib[key]['score']])
            query = {'strata': list(strata.values()), 'macro': a[name]['aggregation'] == 'macro',
                     'replicates': 2000, 'seed': 11}
            ref = json.loads(subprocess.run(
                [sys.executable, os.path.join(HERE, 'paired_bootstrap_reference.py')],
                input=json.dumps(query), capture_output=True, text=True, check=True).stdout)
            lo, hi, p = float(ref['low']), float(ref['high']), float(ref['p_value'])
            self.assertEqual(col(rows[name], 'ci'), '[%s, %s]' % (points(lo), points(hi)), name)
            expected_p = '<0.001' if p < 0.001 else ('%.3f' % p if p < 0.01 else '%.2f' % p)
            self.assertEqual(col(rows[name], 'p'), expected_p, name)

    def test_flips_are_listed_in_collapsed_sections(self):
        dom = self.dom()
        sections = [d for d in dom.find_all('details') if d.has_class('flips')]
        self.assertGreater(len(sections), 0)
        for d in sections:
            self.assertNotIn('open', d.attrs)
            self.assertGreater(len([f for f in d.find_all('div') if f.has_class('flip')]), 0)


class NotLikeForLikeTest(unittest.TestCase):
    def test_runs_in_different_modes_are_refused_unless_allowed(self):
        strict = os.path.join(WORK, 'run-strict')
        run([FATHOM, 'eval', '--benchmark', 'gsm8k', '--mode', 'strict', '--api', 'completions',
             '--data', SAMPLES, '--predictions', SAMPLES, '--out', strict])
        page = os.path.join(WORK, 'mismatch.html')
        args = [FATHOM, 'compare', os.path.join(WORK, 'run-a'), strict, '--out', page]
        p = subprocess.run(args, capture_output=True, text=True, timeout=120)
        self.assertEqual(p.returncode, 2, p.stderr)
        self.assertIn('mode: A faithful, B strict', p.stderr)
        self.assertIn('--allow-mismatch', p.stderr)
        self.assertFalse(os.path.exists(page))
        run(args + ['--allow-mismatch'])
        out, err = chromium(['--dump-dom', url(page)], 'mismatch')
        self.assertEqual(console_messages(err), [])
        dom = Dom(out).root
        warn = [d for d in dom.find_all('div') if d.has_class('warn')]
        self.assertEqual(len(warn), 1)
        self.assertIn('mode: A faithful, B strict', warn[0].text())
        # The benchmarks only run A has are named, not dropped.
        only_a = dom.find_all('p', id='only-a')[0].text()
        for name in ('MMLU', 'HumanEval', 'TruthfulQA'):
            self.assertIn(name, only_a)


if __name__ == '__main__':
    unittest.main(verbosity=2)
