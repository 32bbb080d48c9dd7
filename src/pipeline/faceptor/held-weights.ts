/**
 * weights.bin for runtimes that take it as bytes (onnxruntime-web): ORT copies each initializer a session uses out of
 * the bytes it is given (into its WASM heap, or straight to GPU buffers on WebGPU), so once every graph of the
 * package has its session, a JS copy of the whole file only doubles the model's memory. The model drops it then;
 * should a session have to be opened again later (an EP switch, a lost WebGPU device) the bytes are read again —
 * checked against the manifest — through `reread`. Without `reread` the bytes are kept for the model's lifetime.
 */
export class HeldWeights {
  private bytes: Uint8Array | null;
  private reading: Promise<Uint8Array> | null = null;
  /** How many times the bytes had to be read again (tests, diagnostics). */
  rereads = 0;

  constructor(
    bytes: Uint8Array,
    private readonly reread?: () => Promise<Uint8Array>,
  ) {
    this.bytes = bytes;
  }

  /** True while the bytes are in memory. */
  get held(): boolean {
    return this.bytes !== null;
  }

  /** The verified bytes, read again if they were dropped (one read shared by concurrent callers). */
  get(): Promise<Uint8Array> {
    if (this.bytes) return Promise.resolve(this.bytes);
    if (!this.reread) throw new Error('internal: weights dropped without a way to read them again');
    this.reading ??= this.reread().then(
      (b) => {
        this.rereads++;
        this.reading = null;
        this.bytes = b;
        return b;
      },
      (err: unknown) => {
        this.reading = null;
        throw err;
      },
    );
    return this.reading;
  }

  /** Lets the bytes be collected when they can be read again; a no-op otherwise. */
  drop(): void {
    if (this.reread) this.bytes = null;
  }
}
