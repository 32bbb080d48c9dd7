/**
 * Top-level layout: engine status + settings, then the live camera and the image gallery side by side.
 * Issue 4 adds per-face result panels and the Faceptor model manager as further sections fed by the same stores.
 */
import { EngineProvider } from './engine/EngineProvider.tsx';
import { EngineBar } from './layout/EngineBar.tsx';
import { LivePanel } from './live/LivePanel.tsx';
import { GalleryPanel } from './gallery/GalleryPanel.tsx';
import { ModelNotice } from './layout/ModelNotice.tsx';

export function App() {
  return (
    <EngineProvider>
      <header>
        <h1>Faceptor Web</h1>
        <EngineBar />
        <ModelNotice />
      </header>
      <main>
        <LivePanel />
        <GalleryPanel />
      </main>
      <footer>Everything runs in this browser tab. No image, frame or result leaves your machine.</footer>
    </EngineProvider>
  );
}
