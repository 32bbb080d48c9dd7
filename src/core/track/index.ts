/** Public surface of the tracking core: IoU tracker with smoothing, One Euro filters, dense-pass scheduling. */
export * from './oneEuro.ts';
export * from './tracker.ts';
export * from './schedule.ts';
