/** Public surface of the tracking core: IoU tracker with smoothing, One Euro filters, dense-pass scheduling, carrying results with the face. */
export * from './oneEuro.ts';
export * from './tracker.ts';
export * from './schedule.ts';
export * from './carry.ts';
