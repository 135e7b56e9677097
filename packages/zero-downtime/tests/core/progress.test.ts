import { createProgressReporter, type BackfillProgress } from '../../src/backfill';
import { createCompareProgress } from '../../src/compare/progress';
import type { CompareProgress } from '../../src/compare';
import { keyRangeText } from '../../src/backfill/plan';

/**
 * The one progress display of backfill and compare, on a terminal and in a pipe, and the
 * backfill plan's key range in words. The streams are plain objects recording what is written.
 */
function stream(isTTY: boolean): NodeJS.WritableStream & { isTTY: boolean; text(): string } {
  let written = '';
  return Object.assign(Object.create(process.stdout) as NodeJS.WritableStream, {
    isTTY,
    columns: 120,
    write: (chunk: string) => {
      written += chunk;
      return true;
    },
    text: () => written,
  });
}

const backfilled: BackfillProgress = {
  name: 'emails',
  table: 'public.users',
  state: 'running',
  rowsDone: 500,
  batchesDone: 5,
  batchSize: 100,
  estimatedTotalRows: 1000,
  rowsPerSecond: 250,
  etaMs: 2000,
  elapsedMs: 2000,
  lastKey: ['500'],
};

const compared: CompareProgress = {
  chunks: 5,
  sourceRows: 500,
  targetRows: 500,
  differences: 2,
  estimatedSourceRows: 1000,
  elapsedMs: 2000,
};

const HOUR = 3_600_000;

// Jest gives its workers FORCE_COLOR=1 when it runs on a terminal: these cases want the default.
const saved = { NO_COLOR: process.env.NO_COLOR, FORCE_COLOR: process.env.FORCE_COLOR };
beforeEach(() => {
  delete process.env.NO_COLOR;
  delete process.env.FORCE_COLOR;
});
afterEach(() => {
  for (const [name, value] of Object.entries(saved)) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
});
const names = { source: 'users', target: 'users_v2' };

describe('progress display', () => {
  it('piped: plain lines, a status at once, the first progress, then one line per interval', () => {
    const out = stream(false);
    const display = createProgressReporter(out, HOUR);
    display.status('backfill: opening the database');
    display.onProgress(backfilled);
    display.onProgress({ ...backfilled, rowsDone: 600 });
    display.done();
    expect(out.text()).toBe(
      'backfill: opening the database...\n' +
        'backfill "emails": 500/1000 rows (50%), 5 batches, 250 rows/s, ETA 0:02\n',
    );
  });

  it('on a terminal: the status and the bar redrawn in place, cleared for a log line, ended by done', () => {
    const out = stream(true);
    const display = createProgressReporter(out, HOUR);
    display.status('backfill: opening the database');
    display.onProgress(backfilled);
    display.interrupt();
    display.done();
    const text = out.text();
    expect(text.startsWith('\r\x1b[K')).toBe(true);
    expect(text).toContain('backfill: opening the database...');
    expect(text).toContain(' 50%');
    expect(text).toContain('500/1,000 rows  250 rows/s  ETA 0:02');
    // Cleared by interrupt, so done has no line to end.
    expect(text.endsWith('\r\x1b[K')).toBe(true);
  });

  it('compare shows the display backfill shows, with its differences', () => {
    const piped = stream(false);
    createCompareProgress(piped, names, HOUR).onProgress(compared);
    expect(piped.text()).toBe(
      'compare users -> users_v2: 500/1000 rows (50%), 5 chunks, 2 differences, 250 rows/s, ETA 0:02\n',
    );
    const terminal = stream(true);
    createCompareProgress(terminal, names, HOUR).onProgress(compared);
    const backfillTerminal = stream(true);
    createProgressReporter(backfillTerminal, HOUR).onProgress(backfilled);
    const bar = (text: string) => text.slice(0, text.indexOf('%') + 1);
    expect(bar(terminal.text())).toBe(bar(backfillTerminal.text()));
    expect(terminal.text()).toContain('500/1,000 rows  2 differences  250 rows/s  ETA 0:02');
  });

  it('compare past the estimate counts the rows done as the total', () => {
    const piped = stream(false);
    createCompareProgress(piped, names, HOUR).onProgress({ ...compared, sourceRows: 1200 });
    expect(piped.text()).toContain(': 1200/1200 rows (100%)');
  });

  it('a backfill waiting for a replica says so instead of a rate', () => {
    const piped = stream(false);
    createProgressReporter(piped, HOUR).onProgress({
      ...backfilled,
      state: 'waiting-for-lag',
      lag: 'replica lags 20 MB',
    });
    expect(piped.text()).toBe(
      'backfill "emails": 500/1000 rows (50%), 5 batches, waiting: replica lags 20 MB\n',
    );
  });
});

describe('the key range of a backfill plan', () => {
  it.each([
    [['id'], null, ['200000'], 'from the start up to id 200000'],
    [['id'], ['5000'], ['200000'], 'after id 5000 up to id 200000'],
    [['tenant_id', 'id'], ['1', '7'], ['3', '2'], '(tenant_id, id) after (1, 7) up to (3, 2)'],
    [['id'], null, null, 'none: the table has no rows'],
  ])('%j after %j up to %j: %s', (keyColumns, lastKey, upperKey, text) => {
    expect(keyRangeText({ keyColumns, lastKey, upperKey })).toBe(text);
  });
});
