/**
 * Top-level layout: engine status, the Faceptor model manager (with task choices) and the overlay controls; then the
 * live camera and the image gallery side by side; then the identity gallery every face is matched against.
 */
import { EngineProvider } from './engine/EngineProvider.tsx';
import { EngineBar } from './layout/EngineBar.tsx';
import { LivePanel } from './live/LivePanel.tsx';
import { GalleryPanel } from './gallery/GalleryPanel.tsx';
import { ModelPanel } from './models/ModelPanel.tsx';
import { OverlayControls } from './overlay/OverlayControls.tsx';
import { IdentityPanel } from './identity/IdentityPanel.tsx';
import { ComparePanel } from './compare/ComparePanel.tsx';
import { VideoPanel } from './video/VideoPanel.tsx';
import { BatchPanel } from './batch/BatchPanel.tsx';

export function App() {
  return (
    <EngineProvider>
      <header>
        <h1>Faceptor Web</h1>
        <EngineBar />
        <ModelPanel />
        <OverlayControls />
      </header>
      <main>
        <LivePanel />
        <GalleryPanel />
        <VideoPanel />
        <BatchPanel />
        <ComparePanel />
        <IdentityPanel />
      </main>
      <footer>Everything runs in this browser tab. No image, frame or result leaves your machine.</footer>
    </EngineProvider>
  );
}
