/** Public surface of the identity core: the pure gallery model, matching and its JSON format. */
export * from './gallery.ts';
