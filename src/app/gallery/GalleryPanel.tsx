/** The image half of the app: drop zone and the grid of analysed images. */
import { useGallery } from '../../state/gallery.ts';
import { DropZone } from './DropZone.tsx';
import { ImageCard } from './ImageCard.tsx';

export function GalleryPanel() {
  const items = useGallery((s) => s.items);
  return (
    <section className="panel gallery" aria-labelledby="gallery-title">
      <h2 id="gallery-title">Images</h2>
      <DropZone />
      {items.length > 0 && (
        <div className="controls"><button type="button" onClick={() => useGallery.getState().clear()}>Clear all</button></div>
      )}
      <div className="grid" data-testid="gallery">
        {items.map((item) => <ImageCard key={item.id} item={item} />)}
      </div>
    </section>
  );
}
