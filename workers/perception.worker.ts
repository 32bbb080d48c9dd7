/// <reference lib="webworker" />
/**
 * The perception worker: all model work happens here, off the UI thread. The UI reaches it through comlink
 * (see src/app/engine/client.ts); the contract is perception-api.ts.
 */
import * as Comlink from 'comlink';
import { sendErrorCodes } from './error-transfer.ts';
import { PerceptionEngine } from './perception-engine.ts';

sendErrorCodes();
Comlink.expose(new PerceptionEngine());
