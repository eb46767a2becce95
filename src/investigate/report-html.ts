/**
 * The HTML leak report: one self-contained file (inline CSS, images as data URIs, SVG charts) that opens offline in
 * any browser: summary, recipient ranking with explanations, a timeline of contract windows against the leaked
 * records' dates, and per image the leaked copy, the vault original and the difference heat-map with altered boxes.
 */
import sharp from 'sharp';
import type { Raster } from '../image/decode.js';
import type { FileVisuals } from './investigate-service.js';
import type { LeakReport } from './report.js';

/** Contract windows and record dates for the timeline. */
export interface Timeline {
  recipients: { name: string; windows: { start: string; end: string }[] }[];
  records: { ref: string; date: string | null }[];
}

const esc = (s: string): string => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
const THUMB = 360;

async function thumb(r: Raster): Promise<{ uri: string; w: number; h: number }> {
  const s = Math.min(1, THUMB / Math.max(r.width, r.height));
  const w = Math.max(1, Math.round(r.width * s));
  const h = Math.max(1, Math.round(r.height * s));
  const buf = await sharp(Buffer.from(r.data.buffer, r.data.byteOffset, r.data.length), { raw: { width: r.width, height: r.height, channels: r.channels } }).resize(w, h).jpeg({ quality: 78 }).toBuffer();
  return { uri: `data:image/jpeg;base64,${buf.toString('base64')}`, w, h };
}

/** Heat-map as a red overlay PNG with transparency (0 → clear, 255 → opaque red). */
async function heatPng(hm: { width: number; height: number; data: Uint8Array }, w: number, h: number): Promise<string> {
  const rgba = Buffer.alloc(hm.width * hm.height * 4);
  for (let i = 0; i < hm.data.length; i++) {
    const v = hm.data[i]!;
    rgba[i * 4] = 255;
    rgba[i * 4 + 1] = 40;
    rgba[i * 4 + 2] = 0;
    rgba[i * 4 + 3] = Math.min(220, v);
  }
  const buf = await sharp(rgba, { raw: { width: hm.width, height: hm.height, channels: 4 } }).resize(w, h, { fit: 'fill' }).png().toBuffer();
  return `data:image/png;base64,${buf.toString('base64')}`;
}

function timelineSvg(t: Timeline, leakedRefs: Set<string>): string {
  const dates = [...t.recipients.flatMap((r) => r.windows.flatMap((w) => [w.start, w.end])), ...t.records.flatMap((r) => (r.date ? [r.date] : []))].sort();
  if (dates.length === 0) return '<p class="muted">No contract windows or record dates to show.</p>';
  const t0 = Date.parse(dates[0]!), t1 = Math.max(Date.parse(dates[dates.length - 1]!), t0 + 86400000);
  const W = 900, left = 190, row = 26;
  const x = (d: string): number => left + ((Date.parse(d) - t0) / (t1 - t0)) * (W - left - 20);
  const rows = t.recipients.map((r, i) => {
    const y = 30 + i * row;
    return `<text x="4" y="${y + 13}" class="lbl">${esc(r.name.slice(0, 26))}</text>` + r.windows.map((w) => `<rect x="${x(w.start).toFixed(1)}" y="${y}" width="${Math.max(2, x(w.end) - x(w.start)).toFixed(1)}" height="16" rx="3" class="win"><title>${esc(`${r.name}: ${w.start} → ${w.end}`)}</title></rect>`).join('');
  });
  const yRec = 30 + t.recipients.length * row + 8;
  const ticks = t.records.filter((r) => r.date && leakedRefs.has(r.ref)).map((r) => `<line x1="${x(r.date!).toFixed(1)}" x2="${x(r.date!).toFixed(1)}" y1="${yRec}" y2="${yRec + 18}" class="rec"><title>${esc(`${r.ref}: record date ${r.date}`)}</title></line>`);
  const years: string[] = [];
  for (let y = new Date(t0).getUTCFullYear(); y <= new Date(t1).getUTCFullYear() + 1; y++) {
    const d = `${y}-01-01`;
    if (Date.parse(d) >= t0 && Date.parse(d) <= t1) years.push(`<line x1="${x(d)}" x2="${x(d)}" y1="20" y2="${yRec + 22}" class="grid"/><text x="${x(d) + 2}" y="14" class="lbl">${y}</text>`);
  }
  const H = yRec + 40;
  return `<svg viewBox="0 0 ${W} ${H}" width="100%" role="img" aria-label="contract windows and leaked record dates">${years.join('')}${rows.join('')}<text x="4" y="${yRec + 13}" class="lbl">leaked records' dates</text>${ticks.join('')}</svg>`;
}

/** Renders the report and its pictures into one HTML string. */
export async function renderHtmlReport(report: LeakReport, visuals: Map<string, FileVisuals>, timeline: Timeline): Promise<string> {
  const s = report.summary;
  const cards: string[] = [];
  for (const f of report.files) {
    const v = visuals.get(f.file);
    let pics = '';
    if (v) {
      const L = await thumb(v.leaked);
      const sx = L.w / f.width, sy = L.h / f.height;
      const boxes = f.altered_regions.map((r) => `<rect x="${(r.bbox[0] * sx).toFixed(1)}" y="${(r.bbox[1] * sy).toFixed(1)}" width="${((r.bbox[2] - r.bbox[0]) * sx).toFixed(1)}" height="${((r.bbox[3] - r.bbox[1]) * sy).toFixed(1)}" class="box"><title>score ${r.score}</title></rect>`).join('');
      const heat = v.heatmap ? `<image href="${await heatPng(v.heatmap, L.w, L.h)}" width="${L.w}" height="${L.h}"/>` : '';
      pics += `<figure><svg width="${L.w}" height="${L.h}" viewBox="0 0 ${L.w} ${L.h}"><image href="${L.uri}" width="${L.w}" height="${L.h}"/>${boxes}</svg><figcaption>leaked copy${f.altered_regions.length ? ' — altered regions boxed' : ''}</figcaption></figure>`;
      if (v.original) {
        const O = await thumb(v.original);
        pics += `<figure><img src="${O.uri}" width="${O.w}" height="${O.h}" alt="vault original"><figcaption>vault original (${esc(f.match?.image_kind ?? '')} of ${esc(f.match?.subject_ref ?? '')})</figcaption></figure>`;
      }
      if (v.heatmap) pics += `<figure><svg width="${L.w}" height="${L.h}" viewBox="0 0 ${L.w} ${L.h}"><image href="${L.uri}" width="${L.w}" height="${L.h}" opacity="0.45"/>${heat}${boxes}</svg><figcaption>difference heat-map</figcaption></figure>`;
    }
    const badge = f.match ? (f.altered ? '<span class="b alt">altered</span>' : '<span class="b ok">matched</span>') : '<span class="b none">unmatched</span>';
    const mark = f.watermark.release ? `<span class="b wm">mark → ${esc(f.watermark.release.recipient)}</span>` : f.watermark.detected ? '<span class="b wm">unknown mark</span>' : '<span class="b muted">no mark</span>';
    cards.push(`<section class="file"><h3>${esc(f.file)} ${badge} ${mark}</h3><p class="muted">${f.width}×${f.height} · sha256 ${f.sha256.slice(0, 16)}…${f.match ? ` · ${esc(f.match.image_kind)} of <b>${esc(f.match.subject_ref)}</b> · confidence ${f.match.confidence} · evidence ${f.match.evidence}` : ''}</p><ul>${f.notes.map((n) => `<li>${esc(n)}</li>`).join('')}</ul><div class="pics">${pics}</div></section>`);
  }
  const ranking = report.attribution.map((a, i) => `<tr><td>${i + 1}</td><td><b>${esc(a.recipient)}</b><br><span class="muted">${a.kind}</span></td><td>${a.watermark_hits}</td><td>${a.overlap_count} (${(a.overlap_share * 100).toFixed(0)}%)</td><td>${a.p_value.toExponential(2)}</td><td>${a.dates_fit === null ? '–' : a.dates_fit ? 'yes' : 'no'}</td><td>${esc(a.explanation)}</td></tr>`).join('');
  const skipped = report.skipped.map((k) => `<tr><td>${esc(k.file)}</td><td>${esc(k.code)}</td><td>${esc(k.reason)}</td></tr>`).join('');
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Tracemark leak report</title><meta name="viewport" content="width=device-width,initial-scale=1">
<style>
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:0;color:#1d2330;background:#f5f6f8}
header{background:#1d2330;color:#fff;padding:18px 28px}header h1{margin:0;font-size:20px}main{padding:18px 28px;max-width:1250px}
.kpis{display:flex;gap:12px;flex-wrap:wrap}.kpi{background:#fff;border-radius:8px;padding:10px 16px;box-shadow:0 1px 2px #0001}.kpi b{font-size:22px;display:block}
table{border-collapse:collapse;background:#fff;width:100%;box-shadow:0 1px 2px #0001}td,th{padding:6px 10px;border-bottom:1px solid #e4e6ea;text-align:left;vertical-align:top}
.file{background:#fff;border-radius:8px;padding:10px 16px;margin:14px 0;box-shadow:0 1px 2px #0001}.file h3{margin:4px 0;font-size:15px;word-break:break-all}
.pics{display:flex;gap:10px;flex-wrap:wrap}figure{margin:0}figcaption{font-size:12px;color:#667}
.b{font-size:11px;padding:2px 7px;border-radius:10px;margin-left:4px;font-weight:600}.ok{background:#d8f3dc;color:#1b5e20}.alt{background:#ffd6d6;color:#a00}.none{background:#e9ecef;color:#555}.wm{background:#dbe7ff;color:#1a3d8f}
.muted{color:#778}.box{fill:none;stroke:#ff1744;stroke-width:2}.win{fill:#7aa7ff}.rec{stroke:#d81b60;stroke-width:2}.grid{stroke:#ddd}.lbl{font-size:11px;fill:#444}
</style></head><body><header><h1>Tracemark leak report</h1><div>${esc(report.generated_at)} · folder ${esc(report.input.folder)} · schema ${report.schema}</div></header><main>
<h2>Summary</h2><div class="kpis">
<div class="kpi"><b>${report.input.files_seen}</b>files seen</div><div class="kpi"><b>${s.matched}</b>matched to the vault</div><div class="kpi"><b>${s.unmatched}</b>unmatched</div>
<div class="kpi"><b>${s.watermarked}</b>carry a mark</div><div class="kpi"><b>${s.unmarked_matches}</b>vault copies without a mark</div><div class="kpi"><b>${s.altered}</b>altered</div>
<div class="kpi"><b>${s.affected_subjects}</b>people affected</div><div class="kpi"><b>${report.input.files_skipped}</b>skipped</div></div>
<h2>Who leaked — recipients ranked by evidence</h2>${ranking ? `<table><tr><th>#</th><th>recipient</th><th>marks</th><th>leaked subjects held</th><th>p-value</th><th>dates fit</th><th>why</th></tr>${ranking}</table>` : '<p class="muted">No recipient held any of the matched subjects.</p>'}
<h2>Timeline — contract windows and leaked records</h2>${timelineSvg(timeline, new Set(report.affected_subjects))}
<h2>Affected subjects (${report.affected_subjects.length})</h2><p>${report.affected_subjects.map(esc).join(', ') || '<span class="muted">none</span>'}</p>
<h2>Files</h2>${cards.join('\n')}
${skipped ? `<h2>Skipped files</h2><table><tr><th>file</th><th>code</th><th>reason</th></tr>${skipped}</table>` : ''}
<p class="muted">Processed ${report.files.length} image(s) in ${(report.timings.total_ms / 1000).toFixed(1)} s.</p>
</main></body></html>`;
}
