// Chart.js for the KPI trends: only the pieces the small bar and line charts use.

import {
  BarController,
  BarElement,
  CategoryScale,
  Chart,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  Tooltip,
  type ChartConfiguration,
} from 'chart.js';
import type { KPISeries } from '../lib/api';

Chart.register(BarController, BarElement, LineController, LineElement, PointElement, CategoryScale, LinearScale, Tooltip);
Chart.defaults.font.family = getComputedStyle(document.body).fontFamily || 'system-ui, sans-serif';
Chart.defaults.font.size = 11;
Chart.defaults.color = '#52606d';

export type TrendKind = 'bar' | 'line';
export type TrendChart = Chart<TrendKind, (number | null)[], string>;

const ACCENT = '#2563eb';
const COUNT_UNITS = /^(|n|count|releases?|deployments?|approvals?|per .+)$/i;

/** Bars for counts per bucket, lines for rates and durations. */
export function trendKind(s: KPISeries): TrendKind {
  return s.key === 'deployment_frequency' || COUNT_UNITS.test(s.unit.trim()) ? 'bar' : 'line';
}

/** "12.5 %", "3.2 h", "4" */
export function fmtSeriesValue(v: number | null, unit: string): string {
  if (v === null || !Number.isFinite(v)) return '—';
  const n = Number.isInteger(v) ? String(v) : v.toFixed(Math.abs(v) >= 100 ? 0 : Math.abs(v) >= 10 ? 1 : 2);
  const u = unit.trim();
  if (!u || COUNT_UNITS.test(u)) return n;
  return u === '%' ? `${n} %` : `${n} ${u}`;
}

export function createTrendChart(
  canvas: HTMLCanvasElement,
  kind: TrendKind,
  unit: string,
  labels: string[],
  values: (number | null)[],
): TrendChart {
  const config: ChartConfiguration<TrendKind, (number | null)[], string> = {
    type: kind,
    data: {
      labels,
      datasets: [
        {
          data: values,
          borderColor: ACCENT,
          backgroundColor: kind === 'bar' ? 'rgba(37, 99, 235, 0.72)' : ACCENT,
          borderWidth: kind === 'bar' ? 0 : 2,
          pointRadius: 2.5,
          spanGaps: false,
          maxBarThickness: 28,
        },
      ],
    },
    options: {
      responsive: true,
      maintainAspectRatio: false,
      animation: false,
      plugins: {
        legend: { display: false },
        tooltip: { callbacks: { label: (item) => fmtSeriesValue(item.parsed.y, unit) } },
      },
      scales: {
        x: { grid: { display: false }, ticks: { maxRotation: 0, autoSkip: true, autoSkipPadding: 8 } },
        y: { beginAtZero: true, grid: { color: '#eef0f3' }, ticks: { maxTicksLimit: 5, precision: kind === 'bar' ? 0 : undefined } },
      },
    },
  };
  return new Chart(canvas, config);
}

export function setTrendData(chart: TrendChart, labels: string[], values: (number | null)[]): void {
  chart.data.labels = labels;
  chart.data.datasets[0].data = values;
  chart.update();
}
