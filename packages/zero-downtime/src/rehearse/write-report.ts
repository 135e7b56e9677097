import fs from 'node:fs';
import path from 'node:path';
import { renderChart } from './chart';
import { renderMarkdown } from './markdown';
import type { RehearsalReport } from './report';

export interface ReportFiles {
  markdown: string;
  json: string;
  chart: string;
}

/** `report.md`, `report.json` and `chart.svg` in `outDir`, replacing an earlier rehearsal's. */
export function writeReport(report: RehearsalReport, outDir: string): ReportFiles {
  fs.mkdirSync(outDir, { recursive: true });
  const files = {
    markdown: path.join(outDir, 'report.md'),
    json: path.join(outDir, 'report.json'),
    chart: path.join(outDir, 'chart.svg'),
  };
  fs.writeFileSync(files.chart, renderChart(report));
  fs.writeFileSync(files.markdown, renderMarkdown(report, path.basename(files.chart)));
  fs.writeFileSync(files.json, `${JSON.stringify(report, null, 2)}\n`);
  return files;
}
