export {
  autoSmoothing,
  axisTitle,
  type ChartStyle,
  chartFont,
  chartSpec,
  chartTitle,
  enlargeSvg,
  renderSvg,
  scopeSvgIds,
  seriesLabel,
  svgToPng,
} from "./chart.js";
export { ReportInputError } from "./errors.js";
export {
  escapeHtml,
  flattenConfig,
  formatNumber,
  formatPercent,
  type HtmlChart,
  type HtmlReport,
  renderHtml,
} from "./html.js";
export { parseJsonl, type RecordParser, readJsonl, readText } from "./jsonl.js";
export {
  type Evaluation,
  evaluationsFrom,
  type Metric,
  parseEvaluation,
  parseMetric,
  parseSample,
  readEvaluations,
  readMetrics,
  readSamples,
  type Sample,
} from "./records.js";
export { type RunReportOptions, runFiles, writeRunReport } from "./run-dir.js";
export {
  collectSeries,
  decimate,
  ema,
  groupSeries,
  preferredGroupOrder,
  type Series,
  type SeriesGroup,
} from "./series.js";
export {
  type ReportChart,
  type ReportOptions,
  type ReportResult,
  reportDefaults,
  spread,
  writeReport,
} from "./write-report.js";
