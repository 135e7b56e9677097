import type { PhaseReport, RehearsalReport, SecondReport } from './report';

/**
 * The rehearsal over time as one self-contained SVG (no scripts, fonts or external assets; it
 * renders on GitHub and in any browser): requests per second, p99 latency per second with the
 * budget, failed requests per second and sessions waiting for a lock, one panel each, with the
 * deploy's phases as shaded bands across every panel.
 */
const WIDTH = 960;
const LEFT = 64;
const RIGHT = 24;
/** Title and verdict, then two rows of phase labels, then the panels. */
const LABEL_ROWS = [60, 74];
const BAND_TOP = 80;
const TOP = 104;
const PANEL_HEIGHT = 110;
const PANEL_GAP = 34;
/** Width of one character of the labels, roughly, to keep them from overlapping. */
const CHAR_WIDTH = 6;
const PLOT_WIDTH = WIDTH - LEFT - RIGHT;
/** How far above the data a reference line may lift a panel's scale. */
const REFERENCE_REACH = 2;

const PHASE_COLOURS: Record<string, string> = {
  before: '#f4f6f8',
  'migrate-pre': '#fff4d6',
  rollout: '#e3f0ff',
  rollback: '#ffe0e0',
  'migrate-post': '#e6f7e9',
  after: '#f4f6f8',
};

interface Panel {
  title: string;
  colour: string;
  value: (second: SecondReport) => number;
  kind: 'bars' | 'line';
  /**
   * A horizontal reference line, e.g. the latency budget. The scale is the data's; it takes in
   * a reference up to REFERENCE_REACH times the data's maximum, and a reference further up is
   * named at the top edge instead of squashing the data to the bottom of the panel.
   */
  reference?: { value: number; label: string };
}

export function renderChart(report: RehearsalReport): string {
  const timeline = report.timeline;
  const seconds = Math.max(1, timeline.length, report.phases.at(-1)?.endS ?? 0);
  const x = (second: number) => LEFT + (second / seconds) * PLOT_WIDTH;
  const panels: Panel[] = [
    {
      title: 'requests per second',
      colour: '#4c78a8',
      value: (s) => s.requests,
      kind: 'bars',
    },
    {
      title: 'p99 latency per second (ms)',
      colour: '#6f42c1',
      value: (s) => s.p99Ms,
      kind: 'line',
      reference: { value: report.budget.budgetMs, label: `budget ${report.budget.budgetMs} ms` },
    },
    {
      title: 'failed requests per second',
      colour: '#d62728',
      value: (s) => s.failed,
      kind: 'bars',
    },
    {
      title: 'sessions waiting for a lock (max per second)',
      colour: '#e8890c',
      value: (s) => s.lockWaiters,
      kind: 'bars',
    },
  ];
  const height = TOP + panels.length * (PANEL_HEIGHT + PANEL_GAP) + 10;
  const bottom = TOP + panels.length * (PANEL_HEIGHT + PANEL_GAP) - PANEL_GAP;
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" ` +
      `viewBox="0 0 ${WIDTH} ${height}" font-family="Helvetica, Arial, sans-serif" font-size="11">`,
    `<title>${escape(title(report))}</title>`,
    `<rect width="${WIDTH}" height="${height}" fill="#ffffff"/>`,
    `<text x="${LEFT}" y="20" font-size="14" font-weight="bold">${escape(title(report))}</text>`,
    `<text x="${LEFT}" y="38" fill="${report.verdict.ok ? '#1a7f37' : '#cf222e'}">` +
      `${escape(verdictLine(report))}</text>`,
    ...phaseBands(report.phases, x, bottom),
    ...panels.map((panel, index) =>
      renderPanel(panel, timeline, x, TOP + index * (PANEL_HEIGHT + PANEL_GAP)),
    ),
    timeAxis(seconds, x, bottom),
    '</svg>',
  ];
  return `${parts.join('\n')}\n`;
}

function title(report: RehearsalReport): string {
  return (
    `Rehearsal: ${report.base.commit.slice(0, 12)} → ${report.head.commit.slice(0, 12)}, ` +
    `${report.settings.instances} instances, ${report.settings.rate} req/s target`
  );
}

function verdictLine(report: RehearsalReport): string {
  return report.verdict.ok
    ? `PASSED: ${report.total.requests} requests, none failed; p99 during the deploy ` +
        `${report.budget.deployP99Ms} ms (budget ${report.budget.budgetMs} ms)`
    : `FAILED: ${report.verdict.reasons.join('; ')}`;
}

/** A shaded band per phase with a dashed marker where it starts and its label above. */
function phaseBands(phases: PhaseReport[], x: (s: number) => number, bottom: number): string[] {
  const rowEnds = LABEL_ROWS.map(() => -Infinity);
  return phases.map((phase) => {
    const left = x(phase.startS);
    const width = Math.max(1, x(phase.endS) - left);
    const fill = PHASE_COLOURS[phase.name] ?? '#f4f6f8';
    const label = `${phase.label} (${phase.startS}–${phase.endS} s)`;
    const labelWidth = label.length * CHAR_WIDTH;
    const labelX = Math.max(LEFT, Math.min(left + width / 2 - labelWidth / 2, WIDTH - labelWidth));
    const row = rowEnds.findIndex((end) => end < labelX);
    const y = LABEL_ROWS[row === -1 ? rowEnds.indexOf(Math.min(...rowEnds)) : row];
    rowEnds[LABEL_ROWS.indexOf(y)] = labelX + labelWidth + CHAR_WIDTH;
    return [
      `<g class="phase" data-phase="${phase.name}">`,
      `<rect x="${f(left)}" y="${BAND_TOP}" width="${f(width)}" height="${f(bottom - BAND_TOP)}" fill="${fill}"/>`,
      `<line class="phase-marker" x1="${f(left)}" y1="${BAND_TOP}" x2="${f(left)}" y2="${bottom}" ` +
        `stroke="#8c959f" stroke-dasharray="3,3"/>`,
      `<line x1="${f(left + width / 2)}" y1="${y + 3}" x2="${f(left + width / 2)}" y2="${BAND_TOP}" stroke="${darker(fill)}"/>`,
      `<text x="${f(labelX)}" y="${y}" fill="#24292f">${escape(label)}</text>`,
      '</g>',
    ].join('');
  });
}

function darker(fill: string): string {
  return fill === '#f4f6f8' ? '#afb8c1' : '#8c959f';
}

function renderPanel(
  panel: Panel,
  timeline: SecondReport[],
  x: (s: number) => number,
  top: number,
): string {
  const values = timeline.map(panel.value);
  const reference = panel.reference?.value ?? 0;
  const max = axisMax(
    reference <= REFERENCE_REACH * Math.max(...values, 0) ? [...values, reference] : values,
  );
  const y = (value: number) => top + PANEL_HEIGHT - (value / max) * PANEL_HEIGHT;
  const parts = [
    `<g class="panel">`,
    `<text x="${LEFT}" y="${top - 4}" font-weight="bold">${escape(panel.title)}</text>`,
    `<line x1="${LEFT}" y1="${top + PANEL_HEIGHT}" x2="${LEFT + PLOT_WIDTH}" y2="${top + PANEL_HEIGHT}" stroke="#57606a"/>`,
    `<line x1="${LEFT}" y1="${top}" x2="${LEFT}" y2="${top + PANEL_HEIGHT}" stroke="#57606a"/>`,
    `<text x="${LEFT - 6}" y="${top + 4}" text-anchor="end">${max}</text>`,
    `<text x="${LEFT - 6}" y="${top + PANEL_HEIGHT}" text-anchor="end">0</text>`,
  ];
  if (panel.kind === 'bars') {
    const width = Math.max(1, x(1) - x(0) - 1);
    values.forEach((value, second) => {
      if (value > 0) {
        parts.push(
          `<rect x="${f(x(second))}" y="${f(y(value))}" width="${f(width)}" ` +
            `height="${f(top + PANEL_HEIGHT - y(value))}" fill="${panel.colour}"/>`,
        );
      }
    });
  } else {
    const points = values.map((value, second) => `${f(x(second + 0.5))},${f(y(value))}`);
    parts.push(
      `<polyline fill="none" stroke="${panel.colour}" stroke-width="1.5" points="${points.join(' ')}"/>`,
    );
  }
  if (panel.reference && panel.reference.value > max) {
    parts.push(
      `<text x="${LEFT + PLOT_WIDTH - 4}" y="${f(top + 10)}" text-anchor="end" fill="#cf222e">` +
        `${escape(`${panel.reference.label}: above this scale`)}</text>`,
    );
  } else if (panel.reference) {
    const at = y(panel.reference.value);
    parts.push(
      `<line x1="${LEFT}" y1="${f(at)}" x2="${LEFT + PLOT_WIDTH}" y2="${f(at)}" stroke="#cf222e" stroke-dasharray="6,4"/>`,
      `<text x="${LEFT + PLOT_WIDTH - 4}" y="${f(at - 3)}" text-anchor="end" fill="#cf222e">${escape(panel.reference.label)}</text>`,
    );
  }
  parts.push('</g>');
  return parts.join('\n');
}

function timeAxis(seconds: number, x: (s: number) => number, bottom: number): string {
  const step = seconds <= 30 ? 5 : seconds <= 120 ? 10 : 30;
  const ticks: string[] = [];
  for (let second = 0; second <= seconds; second += step) {
    ticks.push(
      `<line x1="${f(x(second))}" y1="${bottom}" x2="${f(x(second))}" y2="${bottom + 4}" stroke="#57606a"/>`,
      `<text x="${f(x(second))}" y="${bottom + 16}" text-anchor="middle">${second} s</text>`,
    );
  }
  return `<g class="time-axis">${ticks.join('')}</g>`;
}

/** Round tops of a scale, per power of ten: 1,200 ms data reads against 1,200, not 5,000. */
const ROUND_STEPS = [1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10];

/** The top of a panel's scale: the data's maximum, rounded up to a round number (at least 1). */
export function axisMax(values: readonly number[]): number {
  const value = Math.max(1, ...values);
  const power = 10 ** Math.floor(Math.log10(value));
  const tops = ROUND_STEPS.map((step) => Number((step * power).toPrecision(12)));
  return tops.find((top) => top >= value) ?? 10 * power;
}

function f(value: number): string {
  return value.toFixed(1);
}

function escape(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;');
}
