import type { Evaluation, Sample } from "./records.js";
import type { Series } from "./series.js";

const escapes: Readonly<Record<string, string>> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
};

/** Escapes text for HTML content and attribute values: `<think>` shows as text, never as a tag. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => escapes[c]);
}

/**
 * Formats a number for a table: four significant digits, no exponent for everyday magnitudes, and no
 * locale (the same file on every machine).
 */
export function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  if (value === 0) return "0";
  const abs = Math.abs(value);
  if (Number.isInteger(value) && abs < 1e15) return String(value);
  if (abs >= 1e6 || abs < 1e-4) return value.toExponential(3).replace(/\.?0+e/, "e");
  return String(Number(value.toPrecision(4)));
}

/** An accuracy fraction as a percentage with one decimal, e.g. `0.125` → `12.5%`. */
export function formatPercent(fraction: number): string {
  return `${(fraction * 100).toFixed(1)}%`;
}

/** A chart as it appears in the page. */
export interface HtmlChart {
  readonly name: string;
  readonly title: string;
  /** The SVG markup, ids already scoped to this chart. */
  readonly svg: string;
  /** Paths of the chart files relative to the HTML file, for the download links. */
  readonly svgHref: string;
  readonly pngHref: string;
}

/** Everything the page shows. */
export interface HtmlReport {
  readonly title: string;
  readonly config?: Readonly<Record<string, unknown>>;
  readonly series: readonly Series[];
  readonly charts: readonly HtmlChart[];
  readonly evaluations: readonly Evaluation[];
  /** The samples to list (already chosen) and how many there were in all. */
  readonly samples: readonly Sample[];
  readonly totalSamples: number;
}

/** Flattens nested config into dotted keys (`advantage.epsilon`); arrays of scalars are joined. */
export function flattenConfig(config: Readonly<Record<string, unknown>>, prefix = ""): [string, string][] {
  const out: [string, string][] = [];
  for (const [key, value] of Object.entries(config)) {
    const path = prefix ? `${prefix}.${key}` : key;
    if (value != null && typeof value === "object" && !Array.isArray(value)) {
      out.push(...flattenConfig(value as Record<string, unknown>, path));
    } else if (Array.isArray(value) && value.every((v) => v == null || typeof v !== "object")) {
      out.push([path, value.map(String).join(", ")]);
    } else {
      out.push([
        path,
        typeof value === "number"
          ? formatNumber(value)
          : typeof value === "string"
            ? value
            : JSON.stringify(value),
      ]);
    }
  }
  return out;
}

const css = `
:root { color-scheme: light; --fg: #1d1d1f; --muted: #5f6368; --line: #d9dce1; --bg-alt: #f6f7f9; }
* { box-sizing: border-box; }
body { margin: 0 auto; max-width: 1100px; padding: 24px 28px 64px; font: 15px/1.5 system-ui, -apple-system, "Segoe UI", "DejaVu Sans", sans-serif; color: var(--fg); background: #fff; }
h1 { font-size: 26px; margin: 0 0 4px; }
h2 { font-size: 19px; margin: 36px 0 10px; border-bottom: 1px solid var(--line); padding-bottom: 4px; }
p.lead, p.note { color: var(--muted); margin: 4px 0 12px; }
nav a { margin-right: 14px; color: #1a5fb4; }
table { border-collapse: collapse; width: auto; max-width: 100%; }
th, td { border-bottom: 1px solid var(--line); padding: 5px 10px; text-align: left; vertical-align: top; }
th { background: var(--bg-alt); font-weight: 600; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.up { color: #1a7f37; } td.down { color: #b42318; }
dl.config { display: grid; grid-template-columns: repeat(auto-fill, minmax(250px, 1fr)); gap: 2px 24px; margin: 0; }
dl.config div { display: flex; gap: 10px; align-items: baseline; border-bottom: 1px solid var(--line); padding: 3px 0; min-width: 0; }
dl.config dt { font: 12.5px ui-monospace, "DejaVu Sans Mono", monospace; color: var(--muted); flex: none; }
dl.config dd { margin: 0 0 0 auto; text-align: right; overflow-wrap: anywhere; }
figure.chart { margin: 18px 0 28px; }
figure.chart svg { display: block; max-width: 100%; height: auto; }
figure.chart figcaption { margin-top: 2px; }
figure.chart figcaption { color: var(--muted); font-size: 13px; }
figure.chart figcaption a { color: #1a5fb4; }
table.samples { width: 100%; font-size: 13px; }
table.samples pre { margin: 0; white-space: pre-wrap; word-break: break-word; max-height: 16em; overflow: auto; font: 12.5px/1.45 ui-monospace, "DejaVu Sans Mono", monospace; }
table.samples td.prompt { min-width: 180px; max-width: 280px; }
table.samples td.completion { min-width: 320px; }
td.reward-1 { background: #e7f5ea; } td.reward-0 { background: #fbeaea; }
`;

function accuracyModes(evaluations: readonly Evaluation[]): string[] {
  const modes: string[] = [];
  for (const e of evaluations) for (const m of Object.keys(e.accuracy)) if (!modes.includes(m)) modes.push(m);
  const rank = (m: string) => (m === "strict" ? 0 : m === "lenient" ? 1 : 2);
  return modes.sort((a, b) => rank(a) - rank(b));
}

function accuracySection(evaluations: readonly Evaluation[]): string {
  if (evaluations.length === 0) return "";
  const modes = accuracyModes(evaluations);
  const hasN = evaluations.some((e) => e.n != null);
  const head = `<tr><th>evaluation</th>${modes.map((m) => `<th class="num">${escapeHtml(m)}</th>`).join("")}${hasN ? '<th class="num">problems</th>' : ""}</tr>`;
  const rows = evaluations.map((e) => {
    const cells = modes.map((m) => {
      const a = e.accuracy[m];
      return a === undefined
        ? '<td class="num">–</td>'
        : `<td class="num" data-mode="${escapeHtml(m)}" data-value="${a}">${formatPercent(a)}</td>`;
    });
    const step = e.step != null ? ` <span class="note">(step ${formatNumber(e.step)})</span>` : "";
    return `<tr data-label="${escapeHtml(e.label)}"><td>${escapeHtml(e.label)}${step}</td>${cells.join("")}${hasN ? `<td class="num">${e.n ?? "–"}</td>` : ""}</tr>`;
  });
  if (evaluations.length >= 2) {
    const first = evaluations[0];
    const last = evaluations[evaluations.length - 1];
    const cells = modes.map((m) => {
      const a = first.accuracy[m];
      const b = last.accuracy[m];
      if (a === undefined || b === undefined) return '<td class="num">–</td>';
      // Percentage points, not a ratio: the change a reader compares between strict and lenient.
      const pp = (b - a) * 100;
      const cls = pp > 0 ? " up" : pp < 0 ? " down" : "";
      return `<td class="num${cls}" data-mode="${escapeHtml(m)}" data-value="${b - a}">${pp > 0 ? "+" : ""}${pp.toFixed(1)} pp</td>`;
    });
    rows.push(
      `<tr class="change"><td>change (${escapeHtml(last.label)} − ${escapeHtml(first.label)})</td>${cells.join("")}${hasN ? "<td></td>" : ""}</tr>`,
    );
  }
  const explain =
    modes.includes("strict") && modes.includes("lenient")
      ? '<p class="note"><b>strict</b> counts a correct answer only in the required format; <b>lenient</b> counts a correct answer wherever it appears. A rise in strict with lenient flat is a format gain; a rise in lenient is a correctness gain.</p>'
      : "";
  return `<section id="accuracy"><h2>Accuracy before and after</h2>${explain}<table class="accuracy"><thead>${head}</thead><tbody>${rows.join("")}</tbody></table></section>`;
}

function summarySection(series: readonly Series[]): string {
  if (series.length === 0) return "";
  let first = Number.POSITIVE_INFINITY;
  let last = Number.NEGATIVE_INFINITY;
  const rows = series.map((s) => {
    const n = s.values.length;
    first = Math.min(first, s.steps[0]);
    last = Math.max(last, s.steps[n - 1]);
    let min = s.values[0];
    let max = s.values[0];
    for (let i = 1; i < n; i++) {
      if (s.values[i] < min) min = s.values[i];
      if (s.values[i] > max) max = s.values[i];
    }
    const cells = [s.values[0], s.values[n - 1], min, max].map(
      (v) => `<td class="num">${formatNumber(v)}</td>`,
    );
    return `<tr data-key="${escapeHtml(s.key)}"><td>${escapeHtml(s.key)}</td>${cells.join("")}</tr>`;
  });
  return `<section id="metrics"><h2>Metrics</h2><p class="note">Steps ${formatNumber(first)} to ${formatNumber(last)}.</p><table class="metrics"><thead><tr><th>metric</th><th class="num">first</th><th class="num">last</th><th class="num">min</th><th class="num">max</th></tr></thead><tbody>${rows.join("")}</tbody></table></section>`;
}

function configSection(config: Readonly<Record<string, unknown>> | undefined): string {
  if (!config || Object.keys(config).length === 0) return "";
  const items = flattenConfig(config).map(
    ([k, v]) => `<div><dt>${escapeHtml(k)}</dt><dd>${escapeHtml(v)}</dd></div>`,
  );
  return `<section id="config"><h2>Configuration</h2><dl class="config">${items.join("")}</dl></section>`;
}

function chartsSection(charts: readonly HtmlChart[]): string {
  if (charts.length === 0) return "";
  const figures = charts.map(
    (c) =>
      `<figure class="chart" id="chart-${escapeHtml(c.name)}" data-chart="${escapeHtml(c.name)}">${c.svg}<figcaption>Download <a href="${escapeHtml(c.svgHref)}">SVG</a> · <a href="${escapeHtml(c.pngHref)}">PNG</a></figcaption></figure>`,
  );
  return `<section id="charts"><h2>Training curves</h2>${figures.join("")}</section>`;
}

function rewardClass(r: number | null | undefined): string {
  return r === 1 ? " reward-1" : r === 0 ? " reward-0" : "";
}

function samplesSection(samples: readonly Sample[], total: number): string {
  if (samples.length === 0) return "";
  const components: string[] = [];
  for (const s of samples)
    for (const k of Object.keys(s.rewards ?? {})) if (!components.includes(k)) components.push(k);
  const hasAnswer = samples.some((s) => s.answer != null);
  const hasTotal = samples.some((s) => s.total_reward != null);
  const hasAdvantage = samples.some((s) => s.advantage != null);
  const head = `<tr><th class="num">step</th><th>prompt</th><th>completion</th>${hasAnswer ? "<th>answer</th>" : ""}${components.map((c) => `<th class="num">${escapeHtml(c)}</th>`).join("")}${hasTotal ? '<th class="num">total</th>' : ""}${hasAdvantage ? '<th class="num">advantage</th>' : ""}</tr>`;
  const rows = samples.map((s) => {
    const rewards = components.map((c) => {
      const r = s.rewards?.[c];
      return `<td class="num${rewardClass(r)}" data-component="${escapeHtml(c)}">${r == null ? "–" : formatNumber(r)}</td>`;
    });
    return `<tr class="sample"><td class="num">${formatNumber(s.step)}</td><td class="prompt"><pre>${escapeHtml(s.prompt)}</pre></td><td class="completion"><pre>${escapeHtml(s.completion)}</pre></td>${hasAnswer ? `<td>${s.answer == null ? "–" : escapeHtml(String(s.answer))}</td>` : ""}${rewards.join("")}${hasTotal ? `<td class="num total">${s.total_reward == null ? "–" : formatNumber(s.total_reward)}</td>` : ""}${hasAdvantage ? `<td class="num advantage">${s.advantage == null ? "–" : formatNumber(s.advantage)}</td>` : ""}</tr>`;
  });
  const shown =
    samples.length < total
      ? `${samples.length} of ${total} samples, spread evenly over the run.`
      : `${total} samples.`;
  return `<section id="samples"><h2>Sample completions</h2><p class="note">${shown}</p><table class="samples"><thead>${head}</thead><tbody>${rows.join("")}</tbody></table></section>`;
}

/**
 * The whole report as one HTML document: inline CSS and inline SVG only, no script, and a
 * Content-Security-Policy that forbids every network load, so the file opens the same offline.
 */
export function renderHtml(report: HtmlReport): string {
  const sections = [
    configSection(report.config),
    accuracySection(report.evaluations),
    chartsSection(report.charts),
    samplesSection(report.samples, report.totalSamples),
    summarySection(report.series),
  ].filter(Boolean);
  const nav = sections
    .map((s) => /<section id="([^"]+)"><h2>([^<]+)<\/h2>/.exec(s))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => `<a href="#${m[1]}">${m[2]}</a>`)
    .join("");
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(report.title)}</title>
<style>${css}</style>
</head>
<body>
<header><h1>${escapeHtml(report.title)}</h1><p class="lead">Training report</p><nav>${nav}</nav></header>
${sections.join("\n")}
</body>
</html>
`;
}
