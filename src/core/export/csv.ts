/**
 * CSV text (RFC 4180): comma-separated, CRLF line ends, a field quoted when it holds a comma, quote, CR or LF
 * (quotes doubled). A field that a spreadsheet would run as a formula (starting with = + - @ and not a number) gets
 * a leading apostrophe, so an exported file name cannot execute in Excel/LibreOffice (CSV injection).
 */
export type CsvValue = string | number | boolean | null | undefined;

export function csvField(value: CsvValue): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : '';
  let s = String(value);
  if (/^[=+\-@\t\r]/.test(s) && !/^[+-]?\d+(\.\d+)?(e[+-]?\d+)?$/i.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function toCsv(header: readonly string[], rows: readonly (readonly CsvValue[])[]): string {
  for (const r of rows)
    if (r.length !== header.length) throw new Error(`CSV row has ${r.length} fields, header ${header.length}`);
  return [header, ...rows].map((r) => r.map(csvField).join(',')).join('\r\n') + '\r\n';
}
